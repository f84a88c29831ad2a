// The signed-in user's conversations, most recently active first.
import { defineStore } from 'pinia'
import { ref, shallowRef } from 'vue'
import { api } from '@/api'
import type { ConversationSummary } from '@/api'

export const useConversationsStore = defineStore('conversations', () => {
  const items = shallowRef<ConversationSummary[]>([])
  const loading = ref(false)
  const loaded = ref(false)
  const error = shallowRef<unknown>(null)

  async function load(): Promise<void> {
    loading.value = true
    error.value = null
    try {
      items.value = await api.listConversations({ limit: 100 })
      loaded.value = true
    } catch (failure) {
      error.value = failure
    } finally {
      loading.value = false
    }
  }

  function reset(): void {
    items.value = []
    loaded.value = false
    error.value = null
  }

  return { items, loading, loaded, error, load, reset }
})
