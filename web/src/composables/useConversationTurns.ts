// The open conversation: its turns from the server, plus the ones asked in this visit.
import { reactive, ref, shallowRef } from 'vue'
import { api as defaultApi, ApiError } from '@/api'
import type { Api, Memory, Turn } from '@/api'
import { useChatStream } from './useChatStream'
import type { QueuePlace } from './useChatStream'

export type TurnState = 'pending' | 'streaming' | 'answered' | 'stopped' | 'failed'

export interface ChatTurn {
  key: string
  /** The server's id of the turn (for feedback); null until the stream has named it. */
  turnId: number | null
  input: string
  output: string
  state: TurnState
  createdAt: string
  /** Memories the answer used (the server keeps them with each answer); null while unanswered. */
  memories: Memory[] | null
  /** True when the memory store was down and the answer was written without memories. */
  memoryUnavailable: boolean
  /** Set while the answer waits for the model behind other people's answers. */
  queued: QueuePlace | null
  /** True when the model cannot write the message's language and the answer was put together
   * without it (shown as a notice, not as the model's words). */
  fallback: boolean
  error: unknown
}

let localKeys = 0

function fromServer(turn: Turn): ChatTurn {
  const state: TurnState =
    turn.status === 'answered' ? 'answered' : turn.status === 'pending' ? 'pending' : 'failed'
  return {
    key: `turn-${turn.id}`,
    turnId: turn.id,
    input: turn.input_text,
    output: turn.output_text ?? '',
    state,
    createdAt: turn.created_at,
    memories: state === 'answered' ? (turn.memories ?? []) : null,
    memoryUnavailable: false,
    queued: null,
    fallback: turn.answered_by === 'fallback',
    error: null,
  }
}

export function useConversationTurns(
  api: Pick<Api, 'streamChat' | 'getConversation'> = defaultApi,
) {
  /** The open conversation; null for a new one (the server makes it on the first message). */
  const conversationId = ref<string | null>(null)
  const title = ref('')
  const turns = ref<ChatTurn[]>([])
  const loading = ref(false)
  const loadError = shallowRef<unknown>(null)
  const stream = useChatStream(api)
  let opened = 0

  /** Shows conversation `id` (null: a new, empty one). Reopening the open one does nothing. */
  async function open(id: string | null): Promise<void> {
    const showing =
      id === null ? turns.value.length === 0 : turns.value.length > 0 || loading.value
    if (id === conversationId.value && showing) return
    stream.stop()
    const request = ++opened
    conversationId.value = id
    title.value = ''
    turns.value = []
    loadError.value = null
    if (id === null) return
    loading.value = true
    try {
      const detail = await api.getConversation(id)
      if (request !== opened) return
      title.value = detail.title
      turns.value = detail.messages.map(fromServer)
    } catch (failure) {
      if (request === opened) loadError.value = failure
    } finally {
      if (request === opened) loading.value = false
    }
  }

  /** Sends `message` in the open conversation and streams the answer into a new turn. */
  async function ask(message: string): Promise<ChatTurn> {
    const turn = reactive<ChatTurn>({
      key: `local-${++localKeys}`,
      turnId: null,
      input: message,
      output: '',
      state: 'streaming',
      createdAt: new Date().toISOString(),
      memories: null,
      memoryUnavailable: false,
      queued: null,
      fallback: false,
      error: null,
    })
    turns.value.push(turn)
    const request = opened
    const final = await stream.send(message, {
      conversationId: conversationId.value,
      onToken: (text) => {
        turn.output += text
      },
      onQueued: (place) => {
        turn.queued = place
      },
    })
    turn.queued = null
    if (final) {
      turn.output = final.answer
      turn.turnId = final.turn_id
      turn.memories = final.memories
      turn.memoryUnavailable = final.memory === 'unavailable'
      turn.fallback = final.answered_by === 'fallback'
      turn.state = 'answered'
    } else {
      turn.state = stream.status.value === 'stopped' ? 'stopped' : 'failed'
      turn.error = stream.error.value
    }
    // The server made the conversation on the first message: from now on, this is the one open
    // (also when the answer was stopped or failed after the stream started).
    const madeId =
      final?.conversation_id ??
      stream.startedConversationId.value ??
      (stream.error.value instanceof ApiError ? stream.error.value.conversationId : undefined)
    if (request === opened && conversationId.value === null && madeId) {
      conversationId.value = madeId
      if (!title.value) title.value = message
    }
    return turn
  }

  return {
    conversationId,
    title,
    turns,
    loading,
    loadError,
    isStreaming: stream.isStreaming,
    open,
    ask,
    stop: stream.stop,
  }
}
