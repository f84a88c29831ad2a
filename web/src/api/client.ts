// The one client of the MemAdvisor HTTP API. Every call is typed by schema.d.ts (generated from
// the backend's OpenAPI schema by `npm run gen:api`), resolves to the answer's data, and rejects
// with an ApiError whose message is the server's own sentence.
import createClient from 'openapi-fetch'
import { readChatEvents } from './chatStream'
import { ApiError, httpError, isAbortError } from './errors'
import type { paths } from './schema'
import type {
  ChatEvent,
  ChatRequest,
  ConversationDetail,
  ConversationSummary,
  LoginRequest,
  Memory,
  MemoryQuery,
  RegisterRequest,
  Token,
  User,
} from './types'

export interface ApiOptions {
  /** Prefix of every URL; '' (the default) keeps URLs relative to the page's origin. */
  baseUrl?: string
  /** The fetch to use (tests pass a fake); defaults to the global fetch at call time. */
  fetch?: typeof fetch
  /** The bearer token to send, if signed in. */
  getToken?: () => string | null
  /** Called when the server refuses the token (401), e.g. to go back to the sign-in page. */
  onUnauthorized?: (error: ApiError) => void
}

interface FetchResult<T> {
  data?: T
  error?: unknown
  response: Response
}

export type Api = ReturnType<typeof createApi>

export function createApi(options: ApiOptions = {}) {
  const { baseUrl = '', getToken = () => null, onUnauthorized } = options
  const fetchImpl = (request: Request) => (options.fetch ?? globalThis.fetch)(request)
  const client = createClient<paths>({ baseUrl, fetch: fetchImpl })

  client.use({
    onRequest({ request }) {
      const token = getToken()
      if (token) request.headers.set('Authorization', `Bearer ${token}`)
      return request
    },
  })

  /** Awaits an openapi-fetch call; turns failures into ApiErrors. */
  async function call<T>(
    pending: Promise<FetchResult<T>>,
    { expectUnauthorized = false } = {},
  ): Promise<{ data: T; response: Response }> {
    let result: FetchResult<T>
    try {
      result = await pending
    } catch (error) {
      if (isAbortError(error)) throw error
      if (error instanceof SyntaxError) {
        throw new ApiError('http', 'The server sent an answer that is not valid JSON.')
      }
      throw new ApiError('network', 'Cannot reach the MemAdvisor server.')
    }
    const { data, error, response } = result
    if (!response.ok) {
      const failure = httpError(response, error)
      if (response.status === 401 && !expectUnauthorized) onUnauthorized?.(failure)
      throw failure
    }
    return { data: data as T, response }
  }

  return {
    /** The underlying openapi-fetch client, for endpoints without a helper yet. */
    client,

    async register(body: RegisterRequest): Promise<User> {
      return (await call(client.POST('/api/auth/register', { body }))).data
    },

    /** A 401 here means wrong credentials, not an expired session. */
    async login(body: LoginRequest): Promise<Token> {
      const pending = client.POST('/api/auth/login', { body })
      return (await call(pending, { expectUnauthorized: true })).data
    },

    async me(): Promise<User> {
      return (await call(client.GET('/api/me'))).data
    },

    async listConversations(query: { limit?: number; offset?: number } = {}): Promise<
      ConversationSummary[]
    > {
      return (await call(client.GET('/api/conversations', { params: { query } }))).data
    },

    async getConversation(conversationId: string): Promise<ConversationDetail> {
      const pending = client.GET('/api/conversations/{conversation_id}', {
        params: { path: { conversation_id: conversationId } },
      })
      return (await call(pending)).data
    },

    async listMemories(query: MemoryQuery = {}): Promise<Memory[]> {
      const params = { query: { ...query, query: query.query?.trim() || undefined } }
      return (await call(client.GET('/api/memories', { params }))).data
    },

    async deleteMemory(memoryId: string): Promise<void> {
      const pending = client.DELETE('/api/memories/{memory_id}', {
        params: { path: { memory_id: memoryId } },
      })
      await call(pending)
    },

    /** Everything the server holds about the signed-in user, as one JSON document. */
    async exportMe(): Promise<Record<string, unknown>> {
      return (await call(client.GET('/api/me/export'))).data as Record<string, unknown>
    },

    /** Deletes the account and everything held about it, on the server, for good. */
    async deleteMe(): Promise<void> {
      await call(client.DELETE('/api/me'))
    },

    async health(): Promise<{ status: string }> {
      const { data } = await call(client.GET('/api/health'))
      return data as { status: string }
    },

    /**
     * Sends a chat message and returns its events: tokens, then the final answer.
     * Errors before the stream (401, 404, 422, 503 "model down") reject here; errors during it
     * are thrown by the iterator. Abort `signal` to stop the answer.
     */
    async streamChat(body: ChatRequest, signal?: AbortSignal): Promise<AsyncGenerator<ChatEvent>> {
      const pending = client.POST('/api/chat/stream', {
        body,
        signal,
        parseAs: 'stream',
        headers: { Accept: 'text/event-stream' },
      })
      const { response } = await call(pending)
      if (!response.body) throw new ApiError('stream', 'The server sent an empty answer.')
      return readChatEvents(response.body)
    },
  }
}
