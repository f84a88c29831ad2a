import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, it } from 'vitest'
import { ApiError, loadSession, saveSession } from '@/api'
import { installFakeServer } from '@/test/fakeServer'
import { jsonResponse } from '@/test/sse'
import { useAuthStore } from './auth'

const user = { id: 1, username: 'lin', email: null, created_at: '2026-11-24T22:00:00Z' }

beforeEach(() => {
  localStorage.clear()
  setActivePinia(createPinia())
})

describe('auth store', () => {
  it('signs in: keeps the token in localStorage and loads the account', async () => {
    const { requests } = installFakeServer({
      'POST /api/auth/login': () =>
        jsonResponse(200, { access_token: 'tok-1', token_type: 'bearer', expires_in: 3600 }),
      'GET /api/me': () => jsonResponse(200, user),
    })
    const auth = useAuthStore()
    await auth.signIn({ username: 'lin', password: 'secret123' })
    expect(auth.isSignedIn).toBe(true)
    expect(auth.user).toEqual(user)
    expect(loadSession()?.token).toBe('tok-1')
    expect(requests[1]!.headers.get('Authorization')).toBe('Bearer tok-1')
  })

  it('signs up, then signs in with the same credentials', async () => {
    const { requests } = installFakeServer({
      'POST /api/auth/register': () => jsonResponse(201, user),
      'POST /api/auth/login': () =>
        jsonResponse(200, { access_token: 'tok-2', token_type: 'bearer', expires_in: 60 }),
      'GET /api/me': () => jsonResponse(200, user),
    })
    const auth = useAuthStore()
    await auth.signUp({ username: 'lin', password: 'secret123', email: null })
    expect(requests.map((r) => new URL(r.url).pathname)).toEqual([
      '/api/auth/register',
      '/api/auth/login',
      '/api/me',
    ])
    expect(await requests[1]!.json()).toEqual({ username: 'lin', password: 'secret123' })
    expect(auth.token).toBe('tok-2')
  })

  it('stays signed out on wrong credentials', async () => {
    installFakeServer({
      'POST /api/auth/login': () => jsonResponse(401, { detail: 'Wrong username or password.' }),
    })
    const auth = useAuthStore()
    const error = await auth.signIn({ username: 'lin', password: 'nope' }).catch((e) => e)
    expect(error).toBeInstanceOf(ApiError)
    expect(auth.isSignedIn).toBe(false)
    expect(loadSession()).toBeNull()
  })

  it('starts signed in from a stored, unexpired token', () => {
    saveSession({ access_token: 'tok-3', expires_in: 3600 })
    expect(useAuthStore().token).toBe('tok-3')
  })

  it('ignores an expired token', () => {
    saveSession({ access_token: 'old', expires_in: 60 }, Date.now() - 120_000)
    const auth = useAuthStore()
    expect(auth.isSignedIn).toBe(false)
    expect(localStorage.length).toBe(0)
  })

  it('stays signed in with an expired access token while its refresh token is valid', () => {
    const issued = { access_token: 'old', expires_in: 900, refresh_token: 'r1', refresh_expires_in: 86_400 }
    saveSession(issued, Date.now() - 3_600_000)
    expect(useAuthStore().isSignedIn).toBe(true)
    expect(loadSession()?.refreshToken).toBe('r1')
  })

  it('forgets a sign-in whose refresh token has expired too', () => {
    const issued = { access_token: 'old', expires_in: 900, refresh_token: 'r1', refresh_expires_in: 1800 }
    saveSession(issued, Date.now() - 3_600_000)
    expect(useAuthStore().isSignedIn).toBe(false)
    expect(localStorage.length).toBe(0)
  })

  it('logs out on the server, then forgets the sign-in here even if that call fails', async () => {
    const { requests } = installFakeServer({
      'POST /api/auth/logout': () => jsonResponse(500, { detail: 'Internal error.' }),
    })
    saveSession({ access_token: 'tok-6', expires_in: 900, refresh_token: 'r6', refresh_expires_in: 86_400 })
    const auth = useAuthStore()
    await auth.logOut()
    expect(requests.map((r) => `${r.method} ${new URL(r.url).pathname}`)).toEqual(['POST /api/auth/logout'])
    expect(requests[0]!.headers.get('Authorization')).toBe('Bearer tok-6')
    expect(auth.isSignedIn).toBe(false)
    expect(loadSession()).toBeNull()
  })

  it('keeps the account loaded when a refresh renewed the token', async () => {
    installFakeServer({ 'GET /api/me': () => jsonResponse(200, user) })
    saveSession({ access_token: 'tok-7', expires_in: 900 })
    const auth = useAuthStore()
    await auth.loadUser()
    saveSession({ access_token: 'tok-8', expires_in: 900 })
    auth.syncFromStorage()
    expect(auth.token).toBe('tok-8')
    expect(auth.user).toEqual(user)
  })

  it('signs out: forgets the token and the account', async () => {
    installFakeServer({
      'POST /api/auth/login': () =>
        jsonResponse(200, { access_token: 'tok-4', token_type: 'bearer', expires_in: 3600 }),
      'GET /api/me': () => jsonResponse(200, user),
    })
    const auth = useAuthStore()
    await auth.signIn({ username: 'lin', password: 'secret123' })
    auth.signOut()
    expect(auth.isSignedIn).toBe(false)
    expect(auth.user).toBeNull()
    expect(loadSession()).toBeNull()
  })

  it('follows a sign-out made in another tab', () => {
    saveSession({ access_token: 'tok-5', expires_in: 3600 })
    const auth = useAuthStore()
    localStorage.clear()
    auth.syncFromStorage()
    expect(auth.isSignedIn).toBe(false)
  })
})
