// Who is signed in: the token (kept in localStorage by the API module) and the account.
import { defineStore } from 'pinia'
import { computed, ref, shallowRef } from 'vue'
import { api, clearSession, loadSession, saveSession } from '@/api'
import type { LoginRequest, RegisterRequest, User } from '@/api'

export const useAuthStore = defineStore('auth', () => {
  const token = ref<string | null>(loadSession()?.token ?? null)
  const user = shallowRef<User | null>(null)

  const isSignedIn = computed(() => token.value !== null)

  async function signIn(credentials: LoginRequest): Promise<void> {
    const answer = await api.login(credentials)
    token.value = saveSession(answer.access_token, answer.expires_in).token
    user.value = null
    await loadUser()
  }

  /** Creates the account, then signs in with it. */
  async function signUp(account: RegisterRequest): Promise<void> {
    await api.register(account)
    await signIn({ username: account.username, password: account.password })
  }

  /** Loads the account behind the stored token (a 401 signs out through the API hook). */
  async function loadUser(): Promise<User | null> {
    if (!token.value) return null
    user.value = await api.me()
    return user.value
  }

  /** Forgets the token on this device (tokens are stateless; the server keeps no session). */
  function signOut(): void {
    clearSession()
    token.value = null
    user.value = null
  }

  /** Re-reads the stored token, e.g. after another tab signed in or out. */
  function syncFromStorage(): void {
    const stored = loadSession()?.token ?? null
    if (stored !== token.value) {
      token.value = stored
      user.value = null
    }
  }

  return { token, user, isSignedIn, signIn, signUp, loadUser, signOut, syncFromStorage }
})
