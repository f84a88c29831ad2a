// One streamed chat answer: send a message, watch the tokens arrive, stop it at any time.
import { computed, onScopeDispose, ref, shallowRef } from 'vue'
import { api as defaultApi, isAbortError } from '@/api'
import type { Api, ChatFinal } from '@/api'

export type ChatStreamStatus = 'idle' | 'streaming' | 'done' | 'stopped' | 'failed'

export interface SendOptions {
  conversationId?: string | null
  /** Called with each piece of text as it arrives. */
  onToken?: (text: string) => void
  /** Called while the answer waits for the model (null once the model has started on it). */
  onQueued?: (place: QueuePlace | null) => void
}

/** Where a waiting answer stands in the model's queue. */
export interface QueuePlace {
  /** 1: next to start. */
  position: number
  /** Seconds until the model starts on it, as the server estimates (null: no estimate). */
  estimatedWaitS: number | null
}

export function useChatStream(api: Pick<Api, 'streamChat'> = defaultApi) {
  /** The answer written so far (the final answer once done). */
  const text = ref('')
  const status = ref<ChatStreamStatus>('idle')
  const final = shallowRef<ChatFinal | null>(null)
  /** The conversation the server saved the message in, known as soon as the stream starts. */
  const startedConversationId = ref<string | null>(null)
  /** Set while the answer waits for the model (other people's answers come first). */
  const queued = shallowRef<QueuePlace | null>(null)
  const error = shallowRef<unknown>(null)
  const isStreaming = computed(() => status.value === 'streaming')
  let controller: AbortController | null = null

  /**
   * Streams the answer to `message`. Resolves with the final event, or null when stopped or
   * failed (see `status` and `error`). Starting a new message stops the previous one.
   */
  async function send(message: string, options: SendOptions = {}): Promise<ChatFinal | null> {
    stop()
    const own = new AbortController()
    controller = own
    text.value = ''
    final.value = null
    startedConversationId.value = null
    queued.value = null
    error.value = null
    status.value = 'streaming'
    try {
      const body = { message, conversation_id: options.conversationId ?? undefined }
      const events = await api.streamChat(body, own.signal)
      for await (const event of events) {
        if (event.type === 'start') {
          startedConversationId.value = event.conversationId
        } else if (event.type === 'queued') {
          const place = event.position > 0 ? event : null
          queued.value = place && { position: place.position, estimatedWaitS: place.estimatedWaitS }
          options.onQueued?.(queued.value)
        } else if (event.type === 'token') {
          if (queued.value) {
            queued.value = null
            options.onQueued?.(null)
          }
          text.value += event.text
          options.onToken?.(event.text)
        } else {
          final.value = event.final
          text.value = event.final.answer
        }
      }
      if (controller === own) status.value = final.value ? 'done' : 'failed'
      return final.value
    } catch (failure) {
      if (controller === own) {
        if (isAbortError(failure) || own.signal.aborted) {
          status.value = 'stopped'
        } else {
          error.value = failure
          status.value = 'failed'
        }
      }
      return null
    } finally {
      if (controller === own) {
        controller = null
        queued.value = null
      }
    }
  }

  /** Stops the answer being written; the server keeps the message (marked as stopped). */
  function stop(): void {
    if (!controller) return
    controller.abort()
    controller = null
    queued.value = null
    if (status.value === 'streaming') status.value = 'stopped'
  }

  onScopeDispose(stop)

  return { text, status, final, startedConversationId, queued, error, isStreaming, send, stop }
}
