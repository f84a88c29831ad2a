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
    token.value = saveSession(answer).token
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

  /** Forgets the tokens on this device. */
  function signOut(): void {
    clearSession()
    token.value = null
    user.value = null
  }

  /**
   * Ends the sign-in on the server too (its tokens stop working at once), then forgets it here.
   * Signing out here never waits on the server's verdict: a failed call still signs out.
   */
  async function logOut(): Promise<void> {
    if (token.value) await api.logout().catch(() => undefined)
    signOut()
  }

  /** Re-reads the stored token, e.g. after a refresh, or after another tab signed in or out. */
  function syncFromStorage(): void {
    const stored = loadSession()?.token ?? null
    if (stored === token.value) return
    const renewed = stored !== null && token.value !== null
    token.value = stored
    if (!renewed) user.value = null
  }

  return { token, user, isSignedIn, signIn, signUp, loadUser, signOut, logOut, syncFromStorage }
})
