// The one client of the MemAdvisor HTTP API. Every call is typed by schema.d.ts (generated from
// the backend's OpenAPI schema by `npm run gen:api`), resolves to the answer's data, and rejects
// with an ApiError whose message is the server's own sentence.
import createClient from 'openapi-fetch'
import { readChatEvents, readImportEvents } from './chatStream'
import { ApiError, httpError, isAbortError } from './errors'
import type { paths } from './schema'
import type {
  AccessToken,
  AccessTokenCreated,
  AccessTokenRequest,
  AuditEntry,
  ChatEvent,
  ChatRequest,
  Consent,
  ConsentChange,
  ConsentUpdate,
  ContentLanguage,
  DataType,
  ConversationDetail,
  ConversationSummary,
  Feedback,
  FeedbackQuery,
  FeedbackRequest,
  Charts,
  ColumnMapping,
  CsvPreview,
  ImportFormat,
  ImportProgress,
  ImportReport,
  LoginRequest,
  Memory,
  MemoryChange,
  MemoryQuery,
  Profile,
  ProfileUpdate,
  Recommendations,
  RegisterRequest,
  SystemInfo,
  Token,
  User,
  UserDataQuery,
  UserDataRecord,
  UserDataRequest,
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
  /**
   * The refresh token, if any. With one, a request refused with 401 (the 15-minute access token
   * expired) makes one call to `/api/auth/refresh`, then is sent again with the new token; only
   * when the refresh fails too does `onUnauthorized` hear of it.
   */
  getRefreshToken?: () => string | null
  /** Receives the tokens of a refresh, to store them (the old refresh token no longer works). */
  onRefreshed?: (tokens: Token) => void
  /**
   * Runs a refresh so that no other refresh of the same token runs at once (e.g. in another tab,
   * through the Web Locks API). Presenting a refresh token twice ends the session, so this matters.
   */
  exclusive?: <T>(task: () => Promise<T>) => Promise<T>
}

/** Calls after which a 401 means "wrong credentials" or "sign in again", never "refresh first". */
const NO_REFRESH = ['/api/auth/login', '/api/auth/register', '/api/auth/refresh']

interface FetchResult<T> {
  data?: T
  error?: unknown
  response: Response
}

export type Api = ReturnType<typeof createApi>

export function createApi(options: ApiOptions = {}) {
  const { baseUrl = '', getToken = () => null, onUnauthorized, onRefreshed } = options
  const { getRefreshToken = () => null, exclusive = (task) => task() } = options
  const rawFetch = (request: Request) => (options.fetch ?? globalThis.fetch)(request)
  /** Without the refresh step: the refresh call itself goes through this one. */
  const bare = createClient<paths>({ baseUrl, fetch: rawFetch })
  let refreshing: Promise<boolean> | null = null

  /** One refresh at a time; true when a newer access token than `refused` is now available. */
  function renew(refused: string): Promise<boolean> {
    refreshing ??= exclusive(async () => {
      // Another call or tab refreshed while this request was out: its token is the new one.
      const current = getToken()
      if (current && current !== refused) return true
      const refreshToken = getRefreshToken()
      if (!refreshToken) return false
      const { data, response } = await bare.POST('/api/auth/refresh', {
        body: { refresh_token: refreshToken },
      })
      if (!response.ok || !data) return false
      onRefreshed?.(data)
      return true
    }).finally(() => {
      refreshing = null
    })
    return refreshing
  }

  /** Sends the request; on a 401 to an expired access token, refreshes once and sends it again. */
  async function fetchImpl(request: Request): Promise<Response> {
    const sent = request.headers.get('Authorization')?.replace(/^Bearer /, '')
    const path = new URL(request.url, 'http://base.invalid').pathname
    const canRenew = sent && getRefreshToken() && !NO_REFRESH.some((end) => path.endsWith(end))
    const copy = canRenew ? request.clone() : null
    const response = await rawFetch(request)
    if (response.status !== 401 || !copy || !sent) return response
    if (!(await renew(sent))) return response
    copy.headers.set('Authorization', `Bearer ${getToken() ?? ''}`)
    return rawFetch(copy)
  }

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

    /** Ends this sign-in on the server: its access and refresh tokens stop working at once. */
    async logout(query: { everywhere?: boolean } = {}): Promise<void> {
      const pending = client.POST('/api/auth/logout', { params: { query } })
      await call(pending, { expectUnauthorized: true })
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

    /** Newest first; with a non-blank `query`, the closest in meaning first (best matches only). */
    async listMemories(query: MemoryQuery = {}): Promise<Memory[]> {
      const text = query.query?.trim()
      if (text) {
        // In the body, never the URL: a query string is written to access logs.
        const body = { query: text, limit: query.limit ?? 50 } // 50: the server's default too
        return (await call(client.POST('/api/memories/search', { body }))).data
      }
      const params = { query: { limit: query.limit, offset: query.offset } }
      return (await call(client.GET('/api/memories', { params }))).data
    },

    async deleteMemory(memoryId: string): Promise<void> {
      const pending = client.DELETE('/api/memories/{memory_id}', {
        params: { path: { memory_id: memoryId } },
      })
      await call(pending)
    },

    /** Corrects what a memory says; the old text stays in its history. */
    async updateMemory(memoryId: string, text: string): Promise<Memory> {
      const pending = client.PATCH('/api/memories/{memory_id}', {
        params: { path: { memory_id: memoryId } },
        body: { text },
      })
      return (await call(pending)).data
    },

    /** How a memory changed, oldest first. */
    async memoryHistory(memoryId: string): Promise<MemoryChange[]> {
      const pending = client.GET('/api/memories/{memory_id}/history', {
        params: { path: { memory_id: memoryId } },
      })
      return (await call(pending)).data
    },

    /** Advice per dimension; served from the server's cache unless `refresh` or the data changed. */
    async getRecommendations(
      query: { lang?: ContentLanguage; refresh?: boolean } = {},
    ): Promise<Recommendations> {
      return (await call(client.GET('/api/recommendations', { params: { query } }))).data
    },

    /** Thumbs up or down on an answer (`turn`) or a recommendation item; "I did this" is `adopted`. */
    async giveFeedback(body: FeedbackRequest): Promise<Feedback> {
      return (await call(client.POST('/api/feedback', { body }))).data
    },

    /** Your own feedback, newest first: the first entry per target is your verdict now. */
    async listFeedback(query: FeedbackQuery = {}): Promise<Feedback[]> {
      return (await call(client.GET('/api/feedback', { params: { query } }))).data
    },

    async listUserData(query: UserDataQuery = {}): Promise<UserDataRecord[]> {
      return (await call(client.GET('/api/user-data', { params: { query } }))).data
    },

    /** Stores one record; a 403 means its type lacks the user's consent. */
    async addUserData(body: UserDataRequest): Promise<UserDataRecord> {
      return (await call(client.POST('/api/user-data', { body }))).data
    },

    async deleteUserData(recordId: number): Promise<void> {
      const pending = client.DELETE('/api/user-data/{record_id}', {
        params: { path: { record_id: recordId } },
      })
      await call(pending)
    },

    /**
     * Imports a file of records (our CSV/JSON, Apple Health, Alipay, WeChat Pay, or any CSV with a
     * `mapping`); rejected rows come back with their reasons. With `dry_run` it only previews what
     * the file would bring (`summary`), writing nothing. `password` opens a locked ZIP and is sent
     * in the form body only. `onProgress` hears how far the server has read (bytes, then records
     * being written): the answer streams as Server-Sent Events.
     */
    async importUserData(
      file: File,
      query: { strict?: boolean; format?: ImportFormat; dry_run?: boolean; lang?: ContentLanguage } = {},
      options: {
        mapping?: ColumnMapping
        password?: string
        onProgress?: (progress: ImportProgress) => void
      } = {},
    ): Promise<ImportReport> {
      const pending = client.POST('/api/user-data/import', {
        params: { query },
        parseAs: 'stream',
        headers: { Accept: 'text/event-stream' },
        // openapi-fetch sends FormData as multipart as it is; the schema types the field as a string.
        body: { file: file as unknown as string },
        bodySerializer: (body) => {
          const form = new FormData()
          form.append('file', body.file as unknown as File)
          if (options.mapping) form.append('mapping', JSON.stringify(options.mapping))
          if (options.password) form.append('password', options.password)
          return form
        },
      })
      const { response } = await call(pending)
      if (!response.body) throw new ApiError('stream', 'The server sent an empty answer.')
      return readImportEvents(response.body, options.onProgress)
    },

    /** The columns and first rows of a CSV, with a mapping onto `type`'s fields guessed. */
    async previewImport(file: File, type: DataType): Promise<CsvPreview> {
      const pending = client.POST('/api/user-data/import/preview', {
        params: { query: { type } },
        body: { file: file as unknown as string },
        bodySerializer: (body) => {
          const form = new FormData()
          form.append('file', body.file as unknown as File)
          return form
        },
      })
      return (await call(pending)).data
    },

    /** A trend chart per metric over `days`, with bands and insight markers. */
    async charts(query: { days?: number; lang?: ContentLanguage } = {}): Promise<Charts> {
      return (await call(client.GET('/api/user-data/charts', { params: { query } }))).data
    },

    async getConsent(): Promise<Consent> {
      return (await call(client.GET('/api/me/consent'))).data
    },

    /** Turns data types on or off; off keeps the records (`records_kept`) but stops using them. */
    async setConsent(body: ConsentUpdate): Promise<ConsentChange> {
      return (await call(client.PUT('/api/me/consent', { body }))).data
    },

    async getProfile(query: { lang?: ContentLanguage } = {}): Promise<Profile> {
      return (await call(client.GET('/api/profile', { params: { query } }))).data
    },

    async updateProfile(body: ProfileUpdate, query: { lang?: ContentLanguage } = {}): Promise<Profile> {
      return (await call(client.PUT('/api/profile', { body, params: { query } }))).data
    },

    /** Reruns the analysers and the summariser (the model writes the summary: it takes a while). */
    async refreshProfile(query: { lang?: ContentLanguage } = {}): Promise<Profile> {
      return (await call(client.POST('/api/profile/refresh', { params: { query } }))).data
    },

    /** Who read, wrote, deleted or exported the user's data, newest first. */
    async auditLog(query: { limit?: number; offset?: number } = {}): Promise<AuditEntry[]> {
      return (await call(client.GET('/api/me/audit', { params: { query } }))).data
    },

    /** The user's personal access tokens (for MCP clients), newest first; never the tokens. */
    async listAccessTokens(): Promise<AccessToken[]> {
      return (await call(client.GET('/api/me/tokens'))).data
    },

    /** Makes a token; the answer is the only place the token itself ever appears. */
    async createAccessToken(body: AccessTokenRequest): Promise<AccessTokenCreated> {
      return (await call(client.POST('/api/me/tokens', { body }))).data
    },

    /** Revokes a token: every program holding it loses access at once. */
    async revokeAccessToken(tokenId: string): Promise<void> {
      const pending = client.DELETE('/api/me/tokens/{token_id}', {
        params: { path: { token_id: tokenId } },
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

    /** The model and what it can do (demo mode, languages), the stores; needs no sign-in. */
    async system(): Promise<SystemInfo> {
      return (await call(client.GET('/api/system'))).data as SystemInfo
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
