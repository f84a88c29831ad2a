// The 15-minute access token: a 401 makes one refresh (rotating the refresh token), then a retry.
import { describe, expect, it, vi } from 'vitest'
import { jsonResponse } from '@/test/sse'
import { createApi } from './client'
import type { Token } from './types'

const user = { id: 1, username: 'lin', email: null, created_at: '2026-11-24T22:00:00Z' }
const expired = { detail: 'Your session is invalid or has expired; please sign in again.' }
const tokens = (n: number): Token => ({
  access_token: `access-${n}`,
  token_type: 'bearer',
  expires_in: 900,
  refresh_token: `refresh-${n}`,
  refresh_expires_in: 2_592_000,
})

/**
 * A fake server holding one valid access token; `/api/auth/refresh` accepts `refresh-N` once and
 * hands out tokens N+1, like the backend's rotation.
 */
function fakeServer({ refreshWorks = true, onRequest = (_request: Request) => {} } = {}) {
  let valid = 'access-0' // nothing the client holds is valid until it refreshes
  let spare = 'refresh-1'
  const requests: Request[] = []
  const fetch = vi.fn(async (request: Request) => {
    requests.push(request.clone())
    onRequest(request)
    const path = new URL(request.url).pathname
    if (path === '/api/auth/refresh') {
      const { refresh_token } = (await request.json()) as { refresh_token: string }
      if (!refreshWorks || refresh_token !== spare) return jsonResponse(401, expired)
      const n = Number(refresh_token.split('-')[1]) + 1
      valid = `access-${n}`
      spare = `refresh-${n}`
      return jsonResponse(200, tokens(n))
    }
    if (request.headers.get('Authorization') !== `Bearer ${valid}`) return jsonResponse(401, expired)
    if (path === '/api/auth/logout') return new Response(null, { status: 204 })
    if (path === '/api/memories' && request.method === 'PATCH') return jsonResponse(200, {})
    return jsonResponse(200, user)
  })
  // What the app keeps in localStorage, here in a variable; its access token has expired.
  const stored = { access: 'access-1', refresh: 'refresh-1' as string | null }
  const setValid = (token: string) => (valid = token)
  const onUnauthorized = vi.fn()
  const onRefreshed = vi.fn((fresh: Token) => {
    stored.access = fresh.access_token
    stored.refresh = fresh.refresh_token
  })
  const api = createApi({
    baseUrl: 'http://memadvisor.test',
    fetch: fetch as unknown as typeof globalThis.fetch,
    getToken: () => stored.access,
    getRefreshToken: () => stored.refresh,
    onRefreshed,
    onUnauthorized,
  })
  const paths = () => requests.map((r) => `${r.method} ${new URL(r.url).pathname}`)
  return { api, requests, paths, stored, setValid, onRefreshed, onUnauthorized }
}

describe('renewing the access token', () => {
  it('refreshes once on a 401, stores the new tokens and retries with them', async () => {
    const server = fakeServer()
    await expect(server.api.me()).resolves.toEqual(user)
    expect(server.paths()).toEqual(['GET /api/me', 'POST /api/auth/refresh', 'GET /api/me'])
    expect(await server.requests[1]!.json()).toEqual({ refresh_token: 'refresh-1' })
    expect(server.requests[2]!.headers.get('Authorization')).toBe('Bearer access-2')
    expect(server.stored).toEqual({ access: 'access-2', refresh: 'refresh-2' })
    expect(server.onUnauthorized).not.toHaveBeenCalled()
  })

  it('sends the body again on the retry', async () => {
    const server = fakeServer()
    await server.api.client.PATCH('/api/memories/{memory_id}', {
      params: { path: { memory_id: 'm1' } },
      body: { text: 'My dog is called Bao' },
    })
    expect(await server.requests[2]!.json()).toEqual({ text: 'My dog is called Bao' })
  })

  it('makes a single refresh for calls refused at the same time', async () => {
    const server = fakeServer()
    await Promise.all([server.api.me(), server.api.me(), server.api.me()])
    expect(server.paths().filter((p) => p === 'POST /api/auth/refresh')).toHaveLength(1)
    expect(server.onRefreshed).toHaveBeenCalledOnce()
  })

  it('signs out when the refresh is refused too', async () => {
    const server = fakeServer({ refreshWorks: false })
    await expect(server.api.me()).rejects.toMatchObject({ kind: 'http', status: 401 })
    expect(server.paths()).toEqual(['GET /api/me', 'POST /api/auth/refresh'])
    expect(server.onUnauthorized).toHaveBeenCalledOnce()
    expect(server.onRefreshed).not.toHaveBeenCalled()
  })

  it('signs out at once without a refresh token', async () => {
    const server = fakeServer()
    server.stored.refresh = null
    await expect(server.api.me()).rejects.toMatchObject({ status: 401 })
    expect(server.paths()).toEqual(['GET /api/me'])
    expect(server.onUnauthorized).toHaveBeenCalledOnce()
  })

  it('never refreshes after wrong credentials at login', async () => {
    const server = fakeServer()
    await expect(server.api.login({ username: 'lin', password: 'nope' })).rejects.toMatchObject({
      status: 401,
    })
    expect(server.paths()).toEqual(['POST /api/auth/login'])
    expect(server.onUnauthorized).not.toHaveBeenCalled()
  })

  it('uses the token another tab refreshed instead of spending the refresh token again', async () => {
    // The request leaves with access-1; meanwhile another tab refreshed and stored access-2.
    const server = fakeServer({
      onRequest: () => {
        server.stored.access = 'access-2'
        server.stored.refresh = 'refresh-2'
        server.setValid('access-2')
      },
    })
    await expect(server.api.me()).resolves.toEqual(user)
    expect(server.paths()).toEqual(['GET /api/me', 'GET /api/me'])
  })

  it('runs the refresh inside `exclusive`', async () => {
    const calls: string[] = []
    const exclusive = <T,>(task: () => Promise<T>): Promise<T> => {
      calls.push('exclusive')
      return task()
    }
    const requests: string[] = []
    const api = createApi({
      baseUrl: 'http://memadvisor.test',
      fetch: (async (request: Request) => {
        requests.push(new URL(request.url).pathname)
        return request.url.endsWith('/refresh')
          ? jsonResponse(200, tokens(2))
          : jsonResponse(requests.length === 1 ? 401 : 200, requests.length === 1 ? expired : user)
      }) as unknown as typeof fetch,
      getToken: () => 'access-1',
      getRefreshToken: () => 'refresh-1',
      exclusive,
    })
    await api.me()
    expect(calls).toEqual(['exclusive'])
    expect(requests).toEqual(['/api/me', '/api/auth/refresh', '/api/me'])
  })
})

describe('logout', () => {
  it('ends the sign-in on the server with the bearer token', async () => {
    const server = fakeServer()
    server.setValid('access-1')
    await server.api.logout()
    expect(server.paths()).toEqual(['POST /api/auth/logout'])
    expect(server.requests[0]!.headers.get('Authorization')).toBe('Bearer access-1')
  })

  it('does not send the app to sign-in when the token was refused already', async () => {
    const server = fakeServer({ refreshWorks: false })
    await expect(server.api.logout()).rejects.toMatchObject({ status: 401 })
    expect(server.onUnauthorized).not.toHaveBeenCalled()
  })
})
