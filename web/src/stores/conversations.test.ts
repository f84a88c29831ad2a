import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, it } from 'vitest'
import { installFakeServer } from '@/test/fakeServer'
import { jsonResponse } from '@/test/sse'
import { useConversationsStore } from './conversations'

const conversation = {
  id: 'c1',
  title: 'My dog is called Bao',
  created_at: '2026-11-24T22:00:00Z',
  updated_at: '2026-11-24T22:05:00Z',
  turns: 2,
}

beforeEach(() => setActivePinia(createPinia()))

describe('conversations store', () => {
  it('loads the list', async () => {
    installFakeServer({ 'GET /api/conversations': () => jsonResponse(200, [conversation]) })
    const store = useConversationsStore()
    const loading = store.load()
    expect(store.loading).toBe(true)
    await loading
    expect(store.items).toEqual([conversation])
    expect(store.loaded).toBe(true)
    expect(store.loading).toBe(false)
  })

  it('keeps the error for the page to show', async () => {
    installFakeServer({
      'GET /api/conversations': () => jsonResponse(500, { detail: 'Database is unavailable.' }),
    })
    const store = useConversationsStore()
    await store.load()
    expect(store.error).toMatchObject({ status: 500, message: 'Database is unavailable.' })
    expect(store.loaded).toBe(false)
  })

  it('forgets everything on reset (sign-out)', async () => {
    installFakeServer({ 'GET /api/conversations': () => jsonResponse(200, [conversation]) })
    const store = useConversationsStore()
    await store.load()
    store.reset()
    expect(store.items).toEqual([])
    expect(store.loaded).toBe(false)
  })
})
