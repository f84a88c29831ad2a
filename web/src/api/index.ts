// The app's API instance: relative URLs, the stored token, and one hook for "signed out".
import { createApi } from './client'
import type { ApiError } from './errors'
import { loadSession, saveSession } from './tokenStorage'

export * from './client'
export * from './errors'
export * from './types'
export { readChatEvents } from './chatStream'
export { clearSession, loadSession, saveSession } from './tokenStorage'
export type { IssuedTokens, StoredSession } from './tokenStorage'

type UnauthorizedListener = (error: ApiError) => void
let unauthorizedListener: UnauthorizedListener | undefined

/** Decide what happens when the server refuses the token (the app goes back to sign-in). */
export function onUnauthorized(listener: UnauthorizedListener): void {
  unauthorizedListener = listener
}

let renewedListener: (() => void) | undefined

/** Decide what happens after the access token was renewed (the stored session changed). */
export function onSessionRenewed(listener: () => void): void {
  renewedListener = listener
}

/** One refresh at a time across this browser's tabs, where the Web Locks API exists. */
function acrossTabs<T>(task: () => Promise<T>): Promise<T> {
  const locks = typeof navigator === 'undefined' ? undefined : navigator.locks
  if (!locks) return task()
  // request() resolves to what the callback returns; its typing misses that it unwraps promises.
  return locks.request('memadvisor.refresh', task) as unknown as Promise<T>
}

export const api = createApi({
  getToken: () => loadSession()?.token ?? null,
  getRefreshToken: () => loadSession()?.refreshToken ?? null,
  onRefreshed: (tokens) => {
    saveSession(tokens)
    renewedListener?.()
  },
  exclusive: acrossTabs,
  onUnauthorized: (error) => unauthorizedListener?.(error),
})
