import { describe, expect, it } from 'vitest'
import { byteStreamOf, sseEvent, streamOf } from '@/test/sse'
import { readChatEvents } from './chatStream'
import { ApiError } from './errors'
import type { ChatEvent } from './types'

const final = {
  conversation_id: 'c1',
  turn_id: 7,
  answer: '你好 Bao',
  memories: [{ id: 'm1', kind: 'turn', text: 'My dog is Bao', created_at: '2026-11-24T22:00:00Z', score: 0.9, current: true }],
}

async function collect(chunks: string[] | ReadableStream<Uint8Array>): Promise<ChatEvent[]> {
  const events: ChatEvent[] = []
  const body = Array.isArray(chunks) ? streamOf(chunks) : chunks
  for await (const event of readChatEvents(body)) events.push(event)
  return events
}

describe('readChatEvents', () => {
  it('yields where the message was saved, tokens, then the final answer', async () => {
    const events = await collect([
      sseEvent('start', { conversation_id: 'c1', turn_id: 7 }),
      sseEvent('token', { text: '你好' }),
      sseEvent('token', { text: ' Bao' }),
      sseEvent('final', final),
    ])
    expect(events).toEqual([
      { type: 'start', conversationId: 'c1', turnId: 7 },
      { type: 'token', text: '你好' },
      { type: 'token', text: ' Bao' },
      { type: 'final', final },
    ])
  })

  it('reassembles events and multi-byte characters split across network chunks', async () => {
    const body = sseEvent('token', { text: '杭州的龙井茶' }) + sseEvent('final', final)
    // Every 2 bytes: through lines, events and the 3-byte UTF-8 characters.
    const events = await collect(byteStreamOf(body, 2))
    expect(events).toEqual([{ type: 'token', text: '杭州的龙井茶' }, { type: 'final', final }])
  })

  it('skips keep-alive comments, unknown events and empty tokens', async () => {
    const events = await collect([
      ': ping - 2026-11-24 22:00:00\r\n\r\n',
      sseEvent('progress', { step: 1 }),
      sseEvent('token', { text: '' }),
      sseEvent('token', { text: 'ok' }),
      sseEvent('final', final),
    ])
    expect(events.map((event) => event.type)).toEqual(['token', 'final'])
  })

  it('throws the server sentence of an error event', async () => {
    const events: ChatEvent[] = []
    const failure = await (async () => {
      for await (const event of readChatEvents(
        streamOf([
          sseEvent('token', { text: 'par' }),
          sseEvent('error', { message: 'The model failed to answer. Your message was saved.' }),
        ]),
      ))
        events.push(event)
    })().catch((error: unknown) => error)
    expect(events).toEqual([{ type: 'token', text: 'par' }])
    expect(failure).toBeInstanceOf(ApiError)
    expect((failure as ApiError).kind).toBe('stream')
    expect((failure as ApiError).message).toBe('The model failed to answer. Your message was saved.')
    expect((failure as ApiError).fromServer).toBe(true)
  })

  it('yields the place in the model queue while the answer waits', async () => {
    const events = await collect([
      sseEvent('start', { conversation_id: 'c1', turn_id: 7 }),
      sseEvent('queued', { position: 2, estimated_wait_s: 9.5 }),
      sseEvent('queued', { position: 1, estimated_wait_s: null }),
      sseEvent('queued', { position: 0, estimated_wait_s: 0 }),
      sseEvent('final', final),
    ])
    expect(events.slice(1, 4)).toEqual([
      { type: 'queued', position: 2, estimatedWaitS: 9.5 },
      { type: 'queued', position: 1, estimatedWaitS: null },
      { type: 'queued', position: 0, estimatedWaitS: 0 },
    ])
  })

  it('keeps the retry hint of an error event when the model was too busy', async () => {
    const failure = await collect([
      sseEvent('error', { message: 'The model is busy. Your message was saved.', retry_after: 30 }),
    ]).catch((error: unknown) => error)
    expect(failure).toBeInstanceOf(ApiError)
    expect((failure as ApiError).retryAfter).toBe(30)
  })

  it('throws when the stream ends before the final answer', async () => {
    const failure = await collect([sseEvent('token', { text: 'cut' })]).catch((e: unknown) => e)
    expect(failure).toBeInstanceOf(ApiError)
    expect((failure as ApiError).kind).toBe('stream')
    expect((failure as ApiError).fromServer).toBe(false)
  })

  it('throws on an event whose data is not JSON', async () => {
    const failure = await collect(['event: final\ndata: {oops\n\n']).catch((e: unknown) => e)
    expect(failure).toBeInstanceOf(ApiError)
    expect((failure as ApiError).message).toContain('final')
  })

  it('stops reading the body when the consumer stops early', async () => {
    let cancelled = false
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(sseEvent('token', { text: 'a' })))
      },
      cancel() {
        cancelled = true
      },
    })
    for await (const event of readChatEvents(body)) {
      expect(event).toEqual({ type: 'token', text: 'a' })
      break
    }
    expect(cancelled).toBe(true)
  })
})
