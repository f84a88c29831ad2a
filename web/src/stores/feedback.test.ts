import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import type { Feedback } from '@/api'
import { installFakeServer } from '@/test/fakeServer'
import { jsonResponse } from '@/test/sse'
import { useFeedbackStore } from './feedback'

function row(target_id: string, rating: number, adopted = false, id = 1): Feedback {
  return {
    id,
    target_type: 'turn',
    target_id,
    rating,
    adopted,
    comment: null,
    prompt_version: 'chat-v3',
    variant: 'standard',
    created_at: '2026-11-30T10:00:00Z',
  }
}

beforeEach(() => {
  localStorage.clear()
  setActivePinia(createPinia())
})

describe('feedback store', () => {
  it('asks once for every target that appears together, and keeps the newest verdict', async () => {
    const server = installFakeServer({
      // Newest first: 7 was first liked and "done", then disliked.
      'GET /api/feedback': () => jsonResponse(200, [row('7', -1, false, 3), row('7', 1, true, 2), row('8', 1)]),
    })
    const store = useFeedbackStore()
    for (const id of ['7', '8', '9', '7']) store.load('turn', id)
    await vi.waitFor(() => expect(store.verdict('turn', '7')).toBeDefined())

    expect(server.requests).toHaveLength(1)
    const url = new URL(server.requests[0]!.url)
    expect(url.searchParams.get('target_type')).toBe('turn')
    expect(url.searchParams.getAll('target_id')).toEqual(['7', '8', '9'])
    expect(store.verdict('turn', '7')).toEqual({ rating: -1, adopted: true })
    expect(store.verdict('turn', '8')).toEqual({ rating: 1, adopted: false })
    expect(store.verdict('turn', '9')).toBeUndefined()

    store.given('turn', '9', { rating: 1, adopted: false })
    expect(store.verdict('turn', '9')).toEqual({ rating: 1, adopted: false })
    store.reset()
    expect(store.verdict('turn', '7')).toBeUndefined()
  })
})
