// Where the sign-in lives between visits: localStorage, holding the short-lived access token, the
// refresh token that renews it, and when each expires.
const KEY = 'memadvisor.session'

export interface StoredSession {
  token: string
  /** When the access token expires, in milliseconds since the epoch. */
  expiresAt: number
  /** Single use: each refresh returns a new one. Absent for sessions saved before refresh tokens. */
  refreshToken?: string
  /** When the sign-in ends (the refresh token expires), in milliseconds since the epoch. */
  refreshExpiresAt?: number
}

/** What the backend answers to a login or a refresh. */
export interface IssuedTokens {
  access_token: string
  expires_in: number
  refresh_token?: string
  refresh_expires_in?: number
}

/** The stored sign-in, while it can still be used: its access token or its refresh token is valid. */
export function loadSession(now = Date.now()): StoredSession | null {
  try {
    const raw = localStorage.getItem(KEY)
    if (!raw) return null
    const session = JSON.parse(raw) as Partial<StoredSession>
    if (typeof session.token !== 'string' || typeof session.expiresAt !== 'number') return null
    const refreshable =
      typeof session.refreshToken === 'string' &&
      typeof session.refreshExpiresAt === 'number' &&
      session.refreshExpiresAt > now
    if (session.expiresAt <= now && !refreshable) {
      localStorage.removeItem(KEY)
      return null
    }
    return refreshable
      ? {
          token: session.token,
          expiresAt: session.expiresAt,
          refreshToken: session.refreshToken,
          refreshExpiresAt: session.refreshExpiresAt,
        }
      : { token: session.token, expiresAt: session.expiresAt }
  } catch {
    return null // storage disabled or corrupted: behave as signed out
  }
}

export function saveSession(tokens: IssuedTokens, now = Date.now()): StoredSession {
  const session: StoredSession = { token: tokens.access_token, expiresAt: now + tokens.expires_in * 1000 }
  if (tokens.refresh_token && tokens.refresh_expires_in) {
    session.refreshToken = tokens.refresh_token
    session.refreshExpiresAt = now + tokens.refresh_expires_in * 1000
  }
  try {
    localStorage.setItem(KEY, JSON.stringify(session))
  } catch {
    // Private mode without storage: the session lasts until the page is closed.
  }
  return session
}

export function clearSession(): void {
  try {
    localStorage.removeItem(KEY)
  } catch {
    // nothing stored
  }
}
