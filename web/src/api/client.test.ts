import { describe, expect, it, vi } from 'vitest'
import { jsonResponse, sseEvent, sseResponse } from '@/test/sse'
import { createApi } from './client'
import { ApiError } from './errors'

const user = { id: 1, username: 'lin', email: null, created_at: '2026-11-24T22:00:00Z' }

/** An API on a fake fetch that answers `responses` in order and records the requests. */
function fakeApi(responses: Array<Response | Error>, token: string | null = 'tok') {
  const requests: Request[] = []
  const fetch = vi.fn(async (input: RequestInfo | URL) => {
    requests.push(input as Request)
    const next = responses.shift()
    if (!next) throw new Error('unexpected request')
    if (next instanceof Error) throw next
    return next
  })
  const onUnauthorized = vi.fn()
  const api = createApi({
    baseUrl: 'http://memadvisor.test',
    fetch: fetch as unknown as typeof globalThis.fetch,
    getToken: () => token,
    onUnauthorized,
  })
  return { api, requests, onUnauthorized }
}

describe('createApi', () => {
  it('sends the bearer token and returns the data', async () => {
    const { api, requests } = fakeApi([jsonResponse(200, user)])
    await expect(api.me()).resolves.toEqual(user)
    expect(requests[0]!.url).toBe('http://memadvisor.test/api/me')
    expect(requests[0]!.headers.get('Authorization')).toBe('Bearer tok')
  })

  it('sends no Authorization header when signed out', async () => {
    const { api, requests } = fakeApi([jsonResponse(201, user)], null)
    await api.register({ username: 'lin', password: 'secret123' })
    expect(requests[0]!.headers.has('Authorization')).toBe(false)
    expect(requests[0]!.method).toBe('POST')
    expect(await requests[0]!.json()).toEqual({ username: 'lin', password: 'secret123' })
  })

  it('keeps URLs relative to the page when no base URL is given', async () => {
    // The built app is served by the backend itself: no host may be baked in.
    const fetch = vi.fn(async (_request: Request) => jsonResponse(200, user))
    const api = createApi({ fetch: fetch as unknown as typeof globalThis.fetch })
    await api.me()
    const url = new URL(fetch.mock.calls[0]![0].url)
    expect(url.origin).toBe(window.location.origin)
    expect(url.pathname).toBe('/api/me')
  })

  it('rejects with the server sentence of `detail`', async () => {
    const { api } = fakeApi([jsonResponse(409, { detail: 'This username is taken; please choose another.' })])
    const error = await api.register({ username: 'lin', password: 'secret123' }).catch((e) => e)
    expect(error).toBeInstanceOf(ApiError)
    expect(error).toMatchObject({ kind: 'http', status: 409, fromServer: true })
    expect(error.message).toBe('This username is taken; please choose another.')
  })

  it('uses `message` for validation errors, whose `detail` is a list', async () => {
    const body = {
      detail: [{ type: 'string_too_short', loc: ['body', 'password'], msg: 'String should have at least 8 characters' }],
      message: 'password: String should have at least 8 characters',
    }
    const { api } = fakeApi([jsonResponse(422, body)])
    const error = await api.register({ username: 'lin', password: 'short' }).catch((e) => e)
    expect(error.message).toBe('password: String should have at least 8 characters')
  })

  it('falls back to the status when the body has no sentence', async () => {
    const { api } = fakeApi([new Response('Bad gateway', { status: 502, statusText: 'Bad Gateway' })])
    const error = await api.listConversations().catch((e) => e)
    expect(error).toMatchObject({ kind: 'http', status: 502, fromServer: false })
    expect(error.message).toBe('The server answered 502 Bad Gateway.')
  })

  it('calls onUnauthorized when the token is refused', async () => {
    const detail = 'Your session is invalid or has expired; please sign in again.'
    const { api, onUnauthorized } = fakeApi([jsonResponse(401, { detail })])
    await expect(api.listMemories()).rejects.toThrow(detail)
    expect(onUnauthorized).toHaveBeenCalledOnce()
    expect(onUnauthorized.mock.calls[0]![0]).toMatchObject({ status: 401 })
  })

  it('does not sign out on wrong credentials at login', async () => {
    const { api, onUnauthorized } = fakeApi([jsonResponse(401, { detail: 'Wrong username or password.' })])
    await expect(api.login({ username: 'lin', password: 'nope' })).rejects.toMatchObject({ status: 401 })
    expect(onUnauthorized).not.toHaveBeenCalled()
  })

  it('reports an unreachable server as a network error', async () => {
    const { api } = fakeApi([new TypeError('fetch failed')])
    await expect(api.health()).rejects.toMatchObject({ kind: 'network', status: 0 })
  })

  it('searches with the text in the body, never the URL, and lists on a blank search', async () => {
    const { api, requests } = fakeApi([jsonResponse(200, []), jsonResponse(200, [])])
    await api.listMemories({ query: ' 我的狗 ', limit: 10, offset: 0 })
    await api.listMemories({ query: '   ', limit: 50, offset: 50 })
    const first = requests[0]!
    expect(first.method).toBe('POST')
    expect(first.url).toBe('http://memadvisor.test/api/memories/search')
    expect(await first.json()).toEqual({ query: '我的狗', limit: 10 })
    const second = new URL(requests[1]!.url)
    expect(requests[1]!.method).toBe('GET')
    expect(second.pathname).toBe('/api/memories')
    expect(second.searchParams.has('query')).toBe(false)
    expect(second.searchParams.get('offset')).toBe('50')
  })

  it('deletes a memory by id (204)', async () => {
    const { api, requests } = fakeApi([new Response(null, { status: 204 })])
    await expect(api.deleteMemory('abc123')).resolves.toBeUndefined()
    expect(requests[0]!.method).toBe('DELETE')
    expect(requests[0]!.url).toBe('http://memadvisor.test/api/memories/abc123')
  })

  it('gets a conversation with its turns', async () => {
    const detail = { id: 'c1', title: 't', created_at: 'x', updated_at: 'x', turns: 0, messages: [] }
    const { api, requests } = fakeApi([jsonResponse(200, detail)])
    await expect(api.getConversation('c1')).resolves.toEqual(detail)
    expect(requests[0]!.url).toBe('http://memadvisor.test/api/conversations/c1')
  })

  it('uploads an import as multipart form data, strict on request, and follows its progress', async () => {
    const report = { accepted: 1, rejected: [{ row: 2, errors: ['steps: bad'] }], written: true, ids: [7] }
    const { api, requests } = fakeApi([
      sseResponse([
        sseEvent('progress', { phase: 'reading', done: 10, total: 40 }),
        sseEvent('progress', { phase: 'writing', done: 0, total: 1 }),
        sseEvent('report', report),
      ]),
    ])
    const file = new File(['data_type,steps\nhealth,4200\nhealth,abc\n'], 'steps.csv', { type: 'text/csv' })
    const seen: unknown[] = []
    const mapping = { data_type: 'health' as const, columns: { steps: 'steps' } }
    await expect(
      api.importUserData(file, { strict: true, format: 'csv' }, { mapping, onProgress: (p) => seen.push(p) }),
    ).resolves.toEqual(report)
    expect(seen).toEqual([
      { phase: 'reading', done: 10, total: 40 },
      { phase: 'writing', done: 0, total: 1 },
    ])
    const url = new URL(requests[0]!.url)
    expect(url.pathname).toBe('/api/user-data/import')
    expect(url.searchParams.get('strict')).toBe('true')
    expect(requests[0]!.headers.get('Accept')).toBe('text/event-stream')
    expect(requests[0]!.headers.get('Content-Type')).toMatch(/^multipart\/form-data; boundary=/)
    const form = await requests[0]!.formData()
    const sent = form.get('file') as File
    expect(sent.name).toBe('steps.csv')
    expect(await sent.text()).toContain('health,abc')
    expect(JSON.parse(form.get('mapping') as string)).toEqual(mapping)
  })

  it('rejects an import whose stream ends in an error event with the server\'s sentence', async () => {
    const { api } = fakeApi([sseResponse([sseEvent('error', { status: 400, detail: 'Cannot import: broken.' })])])
    const file = new File(['<HealthData'], 'export.xml')
    await expect(api.importUserData(file)).rejects.toMatchObject({ status: 400, message: 'Cannot import: broken.' })
  })

  it('previews an import as a dry run, the password in the form body only', async () => {
    const report = { accepted: 6, rejected: [], written: false, ids: [], dry_run: true }
    const { api, requests } = fakeApi([sseResponse([sseEvent('report', report)])])
    const file = new File(['PK'], 'bill.zip')
    await expect(
      api.importUserData(file, { dry_run: true, lang: 'zh' }, { password: 'S3cret' }),
    ).resolves.toEqual(report)
    const url = new URL(requests[0]!.url)
    expect(url.searchParams.get('dry_run')).toBe('true')
    expect(url.searchParams.get('lang')).toBe('zh')
    expect(url.search).not.toContain('S3cret')
    const form = await requests[0]!.formData()
    expect(form.get('password')).toBe('S3cret')
  })

  it('keeps the code of a failed import, so the card can ask for the password', async () => {
    const failure = { status: 400, detail: 'This WeChat Pay bill cannot be imported: locked.', app: 'wechat_pay', code: 'password_required' }
    const { api } = fakeApi([sseResponse([sseEvent('error', failure)])])
    const error = await api.importUserData(new File(['PK'], 'bill.zip')).catch((caught: unknown) => caught)
    expect(error).toMatchObject({ status: 400, message: failure.detail, body: { code: 'password_required', app: 'wechat_pay' } })
  })

  it('asks for recommendations in the reader\'s language', async () => {
    const { api, requests } = fakeApi([jsonResponse(200, {})])
    await api.getRecommendations({ lang: 'zh', refresh: true })
    const url = new URL(requests[0]!.url)
    expect(url.pathname).toBe('/api/recommendations')
    expect(url.searchParams.get('lang')).toBe('zh')
    expect(url.searchParams.get('refresh')).toBe('true')
  })

  it('rates a recommendation, and marks it done', async () => {
    const { api, requests } = fakeApi([jsonResponse(201, {})])
    await api.giveFeedback({ target_type: 'recommendation', target_id: 'r1', rating: 1, adopted: true })
    expect(await requests[0]!.json()).toEqual({ target_type: 'recommendation', target_id: 'r1', rating: 1, adopted: true })
  })

  describe('streamChat', () => {
    it('posts the message and yields the parsed events', async () => {
      const final = { conversation_id: 'c1', turn_id: 1, answer: 'Hi', memories: [] }
      const { api, requests } = fakeApi([
        sseResponse([sseEvent('token', { text: 'Hi' }), sseEvent('final', final)]),
      ])
      const events = []
      for await (const event of await api.streamChat({ message: 'hello', conversation_id: 'c1' })) {
        events.push(event)
      }
      expect(events).toEqual([{ type: 'token', text: 'Hi' }, { type: 'final', final }])
      expect(requests[0]!.url).toBe('http://memadvisor.test/api/chat/stream')
      expect(requests[0]!.headers.get('Accept')).toBe('text/event-stream')
      expect(await requests[0]!.json()).toEqual({ message: 'hello', conversation_id: 'c1' })
    })

    it('rejects before streaming when the model is down, keeping the saved conversation id', async () => {
      const body = {
        detail: 'The model is not running: start it with `ollama serve`. Your message was saved.',
        conversation_id: 'c9',
        turn_id: 3,
      }
      const { api } = fakeApi([jsonResponse(503, body)])
      const error = await api.streamChat({ message: 'hello' }).catch((e) => e)
      expect(error).toMatchObject({ kind: 'http', status: 503, conversationId: 'c9' })
      expect(error.message).toContain('ollama serve')
    })

    it('rejects with the Retry-After of a 503 when the model is too busy', async () => {
      const body = { detail: 'The model is busy. Your message was saved.', conversation_id: 'c9' }
      const busy = jsonResponse(503, body)
      busy.headers.set('Retry-After', '42')
      const { api } = fakeApi([busy])
      const error = await api.streamChat({ message: 'hello' }).catch((e) => e)
      expect(error).toMatchObject({ kind: 'http', status: 503, retryAfter: 42, conversationId: 'c9' })
    })

    it('passes the abort signal to fetch', async () => {
      const controller = new AbortController()
      const { api, requests } = fakeApi([sseResponse([])])
      await api.streamChat({ message: 'hello' }, controller.signal)
      controller.abort()
      expect(requests[0]!.signal.aborted).toBe(true)
    })

    it('lets an abort through as an AbortError, not a network error', async () => {
      const abort = new DOMException('The operation was aborted.', 'AbortError')
      const { api } = fakeApi([abort])
      await expect(api.streamChat({ message: 'hello' })).rejects.toMatchObject({ name: 'AbortError' })
    })
  })

  describe('access tokens', () => {
    const token = {
      id: 'b2',
      name: 'Claude Desktop',
      scope: 'read_write',
      hint: 'Zq9_',
      created_at: '2026-12-06T10:00:00Z',
      expires_at: null,
      last_used_at: null,
    }

    it('creates, lists and revokes through /api/me/tokens', async () => {
      const { api, requests } = fakeApi([
        jsonResponse(201, { ...token, token: 'memadvisor_pat_abcZq9_' }),
        jsonResponse(200, [token]),
        new Response(null, { status: 204 }),
      ])
      const made = await api.createAccessToken({ name: 'Claude Desktop', scope: 'read_write', expires_in_days: 90 })
      expect(made.token).toBe('memadvisor_pat_abcZq9_')
      expect(requests[0]!.method).toBe('POST')
      expect(new URL(requests[0]!.url).pathname).toBe('/api/me/tokens')
      expect(await requests[0]!.json()).toEqual({ name: 'Claude Desktop', scope: 'read_write', expires_in_days: 90 })

      await expect(api.listAccessTokens()).resolves.toEqual([token])
      await api.revokeAccessToken('b2')
      expect(requests[2]!.method).toBe('DELETE')
      expect(new URL(requests[2]!.url).pathname).toBe('/api/me/tokens/b2')
    })

    it('rejects with the server sentence when the user holds too many', async () => {
      const detail = 'You already have 50 access tokens; revoke one you no longer use.'
      const { api } = fakeApi([jsonResponse(409, { detail })])
      const error = await api.createAccessToken({ name: 'one more', scope: 'read' }).catch((e) => e)
      expect(error).toMatchObject({ kind: 'http', status: 409, message: detail })
    })
  })
})
