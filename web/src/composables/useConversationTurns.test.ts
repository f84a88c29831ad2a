import { describe, expect, it, vi } from 'vitest'
import { effectScope } from 'vue'
import { ApiError } from '@/api'
import type { Api, ChatEvent, ConversationDetail } from '@/api'
import { useConversationTurns } from './useConversationTurns'

const memory = { id: 'm1', kind: 'turn', text: 'My dog is called Bao', created_at: '2026-11-24T22:00:00Z', score: 0.88, current: true }

const detail: ConversationDetail = {
  id: 'c1',
  title: 'My dog is called Bao',
  created_at: '2026-11-24T22:00:00Z',
  updated_at: '2026-11-24T22:00:05Z',
  turns: 2,
  messages: [
    { id: 1, input_text: 'My dog is called Bao', output_text: 'Nice!', status: 'answered', created_at: 'a', prompt_version: 'v2', model_name: 'm', answered_by: 'model', memories: [memory] },
    { id: 2, input_text: 'Still there?', output_text: null, status: 'failed', created_at: 'b', prompt_version: null, model_name: null, answered_by: 'model', memories: [] },
  ],
}

function fakeApi(
  overrides: Partial<Pick<Api, 'streamChat' | 'getConversation'>> = {},
  memoryStatus: 'ok' | 'unavailable' = 'ok',
  answeredBy: 'model' | 'fallback' = 'model',
) {
  return {
    getConversation: vi.fn(async () => detail),
    streamChat: vi.fn(async (body: { message: string; conversation_id?: string | null }) => {
      async function* run(): AsyncGenerator<ChatEvent> {
        yield { type: 'token', text: 'Your dog ' }
        yield { type: 'token', text: 'is Bao.' }
        yield {
          type: 'final',
          final: { conversation_id: body.conversation_id ?? 'new1', turn_id: 9, answer: 'Your dog is Bao.', memories: memoryStatus === 'ok' ? [memory] : [], memory: memoryStatus, answered_by: answeredBy },
        }
      }
      return run()
    }),
    ...overrides,
  }
}

function setup(api = fakeApi()) {
  const scope = effectScope()
  const turns = scope.run(() => useConversationTurns(api))!
  return { turns, api }
}

describe('useConversationTurns', () => {
  it('opens a conversation with its turns and the memories each answer used', async () => {
    const { turns, api } = setup()
    await turns.open('c1')
    expect(api.getConversation).toHaveBeenCalledWith('c1')
    expect(turns.title.value).toBe('My dog is called Bao')
    expect(turns.turns.value.map((t) => [t.input, t.output, t.state, t.memories])).toEqual([
      ['My dog is called Bao', 'Nice!', 'answered', [memory]],
      ['Still there?', '', 'failed', null],
    ])
  })

  it('does not reload the conversation that is already open', async () => {
    const { turns, api } = setup()
    await turns.open('c1')
    await turns.open('c1')
    expect(api.getConversation).toHaveBeenCalledTimes(1)
  })

  it('keeps a 404 for the page to show', async () => {
    const missing = new ApiError('http', 'No such conversation.', 404, { detail: 'No such conversation.' })
    const { turns } = setup(fakeApi({ getConversation: vi.fn().mockRejectedValue(missing) }))
    await turns.open('gone')
    expect(turns.loadError.value).toBe(missing)
    expect(turns.loading.value).toBe(false)
  })

  it('streams an answer into a new turn with the memories it used', async () => {
    const { turns, api } = setup()
    await turns.open('c1')
    const turn = await turns.ask('What is my dog called?')
    expect(api.streamChat).toHaveBeenCalledWith(
      { message: 'What is my dog called?', conversation_id: 'c1' },
      expect.any(AbortSignal),
    )
    expect(turns.turns.value).toHaveLength(3)
    expect(turn).toMatchObject({
      output: 'Your dog is Bao.',
      state: 'answered',
      memories: [memory],
      memoryUnavailable: false,
    })
  })

  it('notes an answer written without memories while the memory store was down', async () => {
    const { turns } = setup(fakeApi({}, 'unavailable'))
    const turn = await turns.ask('What is my dog called?')
    expect(turn).toMatchObject({ state: 'answered', memories: [], memoryUnavailable: true })
  })

  it('marks an answer put together without the model, live and when reloaded', async () => {
    const { turns } = setup(fakeApi({}, 'ok', 'fallback'))
    const turn = await turns.ask('给我推荐一些零食')
    expect(turn).toMatchObject({ state: 'answered', fallback: true })
    const reloaded = setup(
      fakeApi({
        getConversation: vi.fn(async () => ({
          ...detail,
          messages: [{ ...detail.messages[0]!, answered_by: 'fallback' as const }],
        })),
      }),
    )
    await reloaded.turns.open('c1')
    expect(reloaded.turns.turns.value[0]).toMatchObject({ fallback: true })
  })

  it('learns the id of a new conversation from its first answer', async () => {
    const { turns, api } = setup()
    await turns.open(null)
    await turns.ask('My dog is called Bao')
    expect(turns.conversationId.value).toBe('new1')
    expect(turns.title.value).toBe('My dog is called Bao')
    // Opening it (the address now names it) keeps the turns and memories of this visit.
    await turns.open('new1')
    expect(api.getConversation).not.toHaveBeenCalled()
    expect(turns.turns.value[0]!.memories).toEqual([memory])
  })

  it('keeps the message when the model is down, in the conversation the server saved it in', async () => {
    const down = new ApiError('http', 'The model is not running. Your message was saved.', 503, {
      detail: 'The model is not running. Your message was saved.',
      conversation_id: 'saved1',
      turn_id: 4,
    })
    const { turns } = setup(fakeApi({ streamChat: vi.fn().mockRejectedValue(down) }))
    await turns.open(null)
    const turn = await turns.ask('hello')
    expect(turn).toMatchObject({ input: 'hello', state: 'failed', error: down })
    expect(turns.conversationId.value).toBe('saved1')
  })

  it('keeps the conversation of a first message whose stream broke off after it started', async () => {
    const cut = new ApiError('stream', 'The connection closed before the answer was complete.')
    const streamChat = vi.fn(async () => {
      async function* run(): AsyncGenerator<ChatEvent> {
        yield { type: 'start', conversationId: 'begun1', turnId: 3 }
        yield { type: 'token', text: 'Your' }
        throw cut
      }
      return run()
    })
    const { turns } = setup(fakeApi({ streamChat }))
    await turns.open(null)
    const turn = await turns.ask('hello')
    expect(turn).toMatchObject({ input: 'hello', state: 'failed' })
    expect(turns.conversationId.value).toBe('begun1')
  })

  it('starts afresh for a new conversation', async () => {
    const { turns } = setup()
    await turns.open('c1')
    await turns.open(null)
    expect(turns.conversationId.value).toBeNull()
    expect(turns.turns.value).toEqual([])
    expect(turns.title.value).toBe('')
  })
})
