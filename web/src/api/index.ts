// The app's API instance: relative URLs, the stored token, and one hook for "signed out".
import { createApi } from './client'
import type { ApiError } from './errors'
import { loadSession } from './tokenStorage'

export * from './client'
export * from './errors'
export * from './types'
export { readChatEvents } from './chatStream'
export { clearSession, loadSession, saveSession } from './tokenStorage'

type UnauthorizedListener = (error: ApiError) => void
let unauthorizedListener: UnauthorizedListener | undefined

/** Decide what happens when the server refuses the token (the app goes back to sign-in). */
export function onUnauthorized(listener: UnauthorizedListener): void {
  unauthorizedListener = listener
}

export const api = createApi({
  getToken: () => loadSession()?.token ?? null,
  onUnauthorized: (error) => unauthorizedListener?.(error),
})
