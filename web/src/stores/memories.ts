// What the assistant remembers about the user: browse newest first, search by meaning, forget.
import { defineStore } from 'pinia'
import { computed, ref, shallowRef } from 'vue'
import { api, ApiError } from '@/api'
import type { Memory } from '@/api'

export const PAGE_SIZE = 50

export const useMemoriesStore = defineStore('memories', () => {
  const items = shallowRef<Memory[]>([])
  /** The search whose results `items` holds; '' lists newest first. */
  const query = ref('')
  const loading = ref(false)
  const loaded = ref(false)
  const hasMore = ref(false)
  const error = shallowRef<unknown>(null)
  /** Ids being deleted, to disable their buttons. */
  const deleting = ref(new Set<string>())

  const isSearch = computed(() => query.value.trim() !== '')
  let latestRequest = 0

  async function fetchPage(offset: number): Promise<void> {
    const request = ++latestRequest
    loading.value = true
    error.value = null
    try {
      const page = await api.listMemories({ query: query.value, limit: PAGE_SIZE, offset })
      if (request !== latestRequest) return // a newer search has started
      items.value = offset === 0 ? page : [...items.value, ...page]
      // A search returns the best matches only; the plain list pages on.
      hasMore.value = !isSearch.value && page.length === PAGE_SIZE
      loaded.value = true
    } catch (failure) {
      if (request === latestRequest) error.value = failure
    } finally {
      if (request === latestRequest) loading.value = false
    }
  }

  /** Lists from the start, with `text` as the search ('' for newest first). */
  function search(text: string): Promise<void> {
    query.value = text.trim()
    return fetchPage(0)
  }

  function reload(): Promise<void> {
    return fetchPage(0)
  }

  function loadMore(): Promise<void> {
    return fetchPage(items.value.length)
  }

  /** Forgets one memory on the server, then drops it from the list. */
  async function remove(memoryId: string): Promise<void> {
    deleting.value = new Set(deleting.value).add(memoryId)
    try {
      await api.deleteMemory(memoryId).catch((failure: unknown) => {
        // Already forgotten (another tab, another device): what the user wanted.
        if (!(failure instanceof ApiError && failure.status === 404)) throw failure
      })
      items.value = items.value.filter((memory) => memory.id !== memoryId)
    } finally {
      const next = new Set(deleting.value)
      next.delete(memoryId)
      deleting.value = next
    }
  }

  /** Corrects a memory's text on the server, then in the list (the old text goes to its history). */
  async function update(memoryId: string, text: string): Promise<Memory> {
    const updated = await api.updateMemory(memoryId, text)
    items.value = items.value.map((memory) =>
      memory.id === memoryId ? { ...updated, score: memory.score } : memory,
    )
    return updated
  }

  function reset(): void {
    latestRequest++
    items.value = []
    query.value = ''
    loaded.value = false
    loading.value = false
    hasMore.value = false
    error.value = null
  }

  return {
    items, query, loading, loaded, hasMore, error, deleting, isSearch,
    search, reload, loadMore, remove, update, reset,
  }
})
