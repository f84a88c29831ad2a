// Signing out forgets the session and everything cached of the account on this device.
import { useAuthStore } from '@/stores/auth'
import { useConversationsStore } from '@/stores/conversations'
import { useMemoriesStore } from '@/stores/memories'

export function useSignOut(): () => void {
  const auth = useAuthStore()
  const conversations = useConversationsStore()
  const memories = useMemoriesStore()
  return () => {
    auth.signOut()
    conversations.reset()
    memories.reset()
  }
}
