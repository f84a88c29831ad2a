import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, it } from 'vitest'
import type { Memory } from '@/api'
import { installFakeServer } from '@/test/fakeServer'
import { jsonResponse } from '@/test/sse'
import { PAGE_SIZE, useMemoriesStore } from './memories'

function memory(n: number, score: number | null = null): Memory {
  return { id: `m${n}`, kind: 'turn', text: `memory ${n}`, created_at: '2026-11-24T22:00:00Z', score, current: true }
}

const all = Array.from({ length: PAGE_SIZE + 5 }, (_, i) => memory(i))

beforeEach(() => {
  localStorage.clear()
  setActivePinia(createPinia())
})

function serveMemories() {
  const deleted: string[] = []
  const server = installFakeServer({
    'POST /api/memories/search': () => jsonResponse(200, [memory(3, 0.91), memory(1, 0.42)]),
    'GET /api/memories': (_request, url) => {
      const offset = Number(url.searchParams.get('offset') ?? 0)
      const limit = Number(url.searchParams.get('limit') ?? 50)
      return jsonResponse(200, all.filter((m) => !deleted.includes(m.id)).slice(offset, offset + limit))
    },
  })
  return { ...server, deleted }
}

describe('memories store', () => {
  it('lists newest first, page by page', async () => {
    serveMemories()
    const store = useMemoriesStore()
    await store.search('')
    expect(store.items).toHaveLength(PAGE_SIZE)
    expect(store.hasMore).toBe(true)
    expect(store.isSearch).toBe(false)
    await store.loadMore()
    expect(store.items).toHaveLength(PAGE_SIZE + 5)
    expect(store.hasMore).toBe(false)
  })

  it('searches by meaning, best first, without paging', async () => {
    const { requests } = serveMemories()
    const store = useMemoriesStore()
    await store.search('  my dog ')
    expect(store.query).toBe('my dog')
    expect(store.isSearch).toBe(true)
    expect(store.items.map((m) => m.score)).toEqual([0.91, 0.42])
    expect(store.hasMore).toBe(false)
    const sent = requests[0]!
    expect(sent.method).toBe('POST')
    expect(new URL(sent.url).search).toBe('') // the text is in the body, out of access logs
    expect(await sent.json()).toEqual({ query: 'my dog', limit: PAGE_SIZE })
  })

  it('keeps only the answer of the latest search when answers cross', async () => {
    let release: (() => void) | undefined
    installFakeServer({
      'POST /api/memories/search': async (request) => {
        if ((await request.json()).query === 'slow') {
          await new Promise<void>((resolve) => (release = resolve))
          return jsonResponse(200, [memory(99)])
        }
        return jsonResponse(200, [memory(1)])
      },
    })
    const store = useMemoriesStore()
    const slow = store.search('slow')
    await store.search('fast')
    release?.()
    await slow
    expect(store.items.map((m) => m.id)).toEqual(['m1'])
    expect(store.loading).toBe(false)
  })

  it('deletes a memory on the server and from the list', async () => {
    const { requests } = installFakeServer({
      'GET /api/memories': () => jsonResponse(200, [memory(1), memory(2)]),
      'DELETE /api/memories/m1': () => new Response(null, { status: 204 }),
    })
    const store = useMemoriesStore()
    await store.search('')
    await store.remove('m1')
    expect(store.items.map((m) => m.id)).toEqual(['m2'])
    expect(store.deleting.size).toBe(0)
    expect(requests.at(-1)!.method).toBe('DELETE')
  })

  it('drops a memory that is already gone (404) without an error', async () => {
    installFakeServer({
      'GET /api/memories': () => jsonResponse(200, [memory(1)]),
      'DELETE /api/memories/m1': () => jsonResponse(404, { detail: 'No such memory.' }),
    })
    const store = useMemoriesStore()
    await store.search('')
    await expect(store.remove('m1')).resolves.toBeUndefined()
    expect(store.items).toEqual([])
  })

  it('keeps the memory and rethrows when deleting fails otherwise', async () => {
    installFakeServer({
      'GET /api/memories': () => jsonResponse(200, [memory(1)]),
      'DELETE /api/memories/m1': () => jsonResponse(500, { detail: 'Database is locked.' }),
    })
    const store = useMemoriesStore()
    await store.search('')
    await expect(store.remove('m1')).rejects.toThrow('Database is locked.')
    expect(store.items).toHaveLength(1)
    expect(store.deleting.size).toBe(0)
  })

  it('shows a load failure, and clears it on a successful retry', async () => {
    let fail = true
    installFakeServer({
      'GET /api/memories': () =>
        fail ? jsonResponse(503, { detail: 'Memory index is rebuilding.' }) : jsonResponse(200, []),
    })
    const store = useMemoriesStore()
    await store.search('')
    expect(store.error).toMatchObject({ status: 503, message: 'Memory index is rebuilding.' })
    fail = false
    await store.reload()
    expect(store.error).toBeNull()
    expect(store.loaded).toBe(true)
  })
})
