import { describe, expect, it, vi } from 'vitest'
import { effectScope } from 'vue'
import { ApiError } from '@/api'
import type { Api, ChatEvent, ChatFinal } from '@/api'
import { useChatStream } from './useChatStream'

const final: ChatFinal = { conversation_id: 'c1', turn_id: 1, answer: 'Hello Bao', memories: [], memory: 'ok', answered_by: 'model' }

type StreamChat = Api['streamChat']

/** A streamChat that yields `events`, then waits to be aborted if `hang` is set. */
function scripted(events: ChatEvent[], { hang = false, failWith }: { hang?: boolean; failWith?: unknown } = {}) {
  return vi.fn<StreamChat>(async (_body, signal) => {
    async function* run(): AsyncGenerator<ChatEvent> {
      for (const event of events) yield event
      if (failWith) throw failWith
      if (hang) {
        // Like a fetch body: fails with AbortError once the signal aborts (or if it already has).
        await new Promise((_resolve, reject) => {
          const abort = () => reject(new DOMException('The operation was aborted.', 'AbortError'))
          if (signal?.aborted) abort()
          else signal?.addEventListener('abort', abort)
        })
      }
    }
    return run()
  })
}

function inScope<T>(create: () => T): { value: T; stop: () => void } {
  const scope = effectScope()
  const value = scope.run(create)!
  return { value, stop: () => scope.stop() }
}

describe('useChatStream', () => {
  it('collects the tokens, then resolves with the final answer', async () => {
    const streamChat = scripted([
      { type: 'token', text: 'Hello' },
      { type: 'token', text: ' Ba' },
      { type: 'final', final },
    ])
    const { value: chat } = inScope(() => useChatStream({ streamChat }))
    const seen: string[] = []
    const result = await chat.send('hi', { conversationId: 'c1', onToken: (t) => seen.push(t) })
    expect(result).toEqual(final)
    expect(seen).toEqual(['Hello', ' Ba'])
    expect(chat.text.value).toBe('Hello Bao') // the final answer is the reference
    expect(chat.status.value).toBe('done')
    expect(streamChat).toHaveBeenCalledWith({ message: 'hi', conversation_id: 'c1' }, expect.any(AbortSignal))
  })

  it('is streaming until the answer ends', async () => {
    const streamChat = scripted([{ type: 'token', text: 'Hel' }], { hang: true })
    const { value: chat } = inScope(() => useChatStream({ streamChat }))
    const pending = chat.send('hi')
    expect(chat.isStreaming.value).toBe(true)
    await vi.waitFor(() => expect(chat.text.value).toBe('Hel'))
    chat.stop()
    await expect(pending).resolves.toBeNull()
    expect(chat.status.value).toBe('stopped')
    expect(chat.isStreaming.value).toBe(false)
    expect(chat.text.value).toBe('Hel') // what was written stays visible
    expect(streamChat.mock.calls[0]![1]!.aborted).toBe(true)
  })

  it('reports a failure midway with its error', async () => {
    const failure = new ApiError('stream', 'The model failed to answer.', 0, { message: 'x' })
    const streamChat = scripted([{ type: 'token', text: 'a' }], { failWith: failure })
    const { value: chat } = inScope(() => useChatStream({ streamChat }))
    await expect(chat.send('hi')).resolves.toBeNull()
    expect(chat.status.value).toBe('failed')
    expect(chat.error.value).toBe(failure)
  })

  it('reports a refusal before the stream (model down)', async () => {
    const failure = new ApiError('http', 'Start the model. Your message was saved.', 503, {
      conversation_id: 'c2',
    })
    const streamChat = vi.fn<StreamChat>().mockRejectedValue(failure)
    const { value: chat } = inScope(() => useChatStream({ streamChat }))
    await chat.send('hi')
    expect(chat.status.value).toBe('failed')
    expect(chat.error.value).toBe(failure)
  })

  it('tells where the answer waits in the model queue until the model starts on it', async () => {
    const streamChat = scripted(
      [
        { type: 'queued', position: 2, estimatedWaitS: 8 },
        { type: 'queued', position: 1, estimatedWaitS: 4 },
      ],
      { hang: true },
    )
    const { value: chat } = inScope(() => useChatStream({ streamChat }))
    const places: unknown[] = []
    const pending = chat.send('hi', { onQueued: (place) => places.push(place) })
    await vi.waitFor(() => expect(chat.queued.value).toEqual({ position: 1, estimatedWaitS: 4 }))
    chat.stop()
    await pending
    expect(chat.queued.value).toBeNull()
    expect(places).toEqual([
      { position: 2, estimatedWaitS: 8 },
      { position: 1, estimatedWaitS: 4 },
    ])
  })

  it('stops waiting in line once the model starts', async () => {
    const streamChat = scripted([
      { type: 'queued', position: 1, estimatedWaitS: null },
      { type: 'queued', position: 0, estimatedWaitS: 0 },
      { type: 'token', text: 'Hello' },
      { type: 'final', final },
    ])
    const { value: chat } = inScope(() => useChatStream({ streamChat }))
    const places: unknown[] = []
    await chat.send('hi', { onQueued: (place) => places.push(place) })
    expect(places).toEqual([{ position: 1, estimatedWaitS: null }, null])
    expect(chat.queued.value).toBeNull()
  })

  it('stops the previous answer when a new message is sent', async () => {
    const hanging = scripted([], { hang: true })
    const quick = scripted([{ type: 'final', final }])
    const streamChat = vi.fn<StreamChat>((body, signal) =>
      body.message === 'first' ? hanging(body, signal) : quick(body, signal),
    )
    const { value: chat } = inScope(() => useChatStream({ streamChat }))
    const first = chat.send('first')
    const second = await chat.send('second')
    expect(await first).toBeNull()
    expect(second).toEqual(final)
    expect(chat.status.value).toBe('done')
  })

  it('stops the answer when its component goes away', async () => {
    const streamChat = scripted([], { hang: true })
    const { value: chat, stop: unmount } = inScope(() => useChatStream({ streamChat }))
    const pending = chat.send('hi')
    unmount()
    await expect(pending).resolves.toBeNull()
    expect(streamChat.mock.calls[0]![1]!.aborted).toBe(true)
  })
})
