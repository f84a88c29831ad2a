// Where the bearer token lives between visits: localStorage, with its expiry time.
const KEY = 'memadvisor.session'

export interface StoredSession {
  token: string
  /** Milliseconds since the epoch. */
  expiresAt: number
}

export function loadSession(now = Date.now()): StoredSession | null {
  try {
    const raw = localStorage.getItem(KEY)
    if (!raw) return null
    const session = JSON.parse(raw) as Partial<StoredSession>
    if (typeof session.token !== 'string' || typeof session.expiresAt !== 'number') return null
    if (session.expiresAt <= now) {
      localStorage.removeItem(KEY)
      return null
    }
    return { token: session.token, expiresAt: session.expiresAt }
  } catch {
    return null // storage disabled or corrupted: behave as signed out
  }
}

export function saveSession(token: string, expiresInSeconds: number, now = Date.now()): StoredSession {
  const session = { token, expiresAt: now + expiresInSeconds * 1000 }
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
