// Signing out ends the sign-in on the server and forgets everything cached of the account here.
import { useAuthStore } from '@/stores/auth'
import { useConversationsStore } from '@/stores/conversations'
import { useFeedbackStore } from '@/stores/feedback'
import { useMemoriesStore } from '@/stores/memories'

export function useSignOut(): (options?: { server?: boolean }) => Promise<void> {
  const auth = useAuthStore()
  const conversations = useConversationsStore()
  const memories = useMemoriesStore()
  const feedback = useFeedbackStore()
  /** `server: false` only forgets locally (e.g. the account was just deleted). */
  return async ({ server = true } = {}) => {
    if (server) await auth.logOut()
    else auth.signOut()
    conversations.reset()
    memories.reset()
    feedback.reset()
  }
}
