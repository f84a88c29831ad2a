/**
 * Why a call failed:
 * - `network`: the server could not be reached (offline, backend stopped);
 * - `http`: the server answered 4xx/5xx (its sentence is the message);
 * - `stream`: the chat stream failed midway (an `error` event, or it closed before the answer).
 */
export type ApiErrorKind = 'network' | 'http' | 'stream'

export class ApiError extends Error {
  override readonly name = 'ApiError'

  constructor(
    readonly kind: ApiErrorKind,
    message: string,
    /** HTTP status; 0 when there was no answer. */
    readonly status = 0,
    /** The decoded error body, e.g. the 503 of the chat (`conversation_id`, `turn_id`). */
    readonly body: unknown = undefined,
    /** Seconds the server asked to wait before trying again (`Retry-After`), if it did. */
    private readonly retryAfterHeader: number | undefined = undefined,
  ) {
    super(message)
  }

  /**
   * Seconds after which trying again is worthwhile, when the model was too busy: the 503's
   * `Retry-After`, or the `retry_after` of the stream's `error` event.
   */
  get retryAfter(): number | undefined {
    if (this.retryAfterHeader !== undefined) return this.retryAfterHeader
    const value = (this.body as { retry_after?: unknown } | undefined)?.retry_after
    return typeof value === 'number' && value > 0 ? value : undefined
  }

  /** True when the message is the server's own sentence (`detail` / `message`). */
  get fromServer(): boolean {
    return this.kind !== 'network' && sentenceOf(this.body) !== undefined
  }

  /** The conversation a failed chat message was saved in (503 answers carry it). */
  get conversationId(): string | undefined {
    const body = this.body as { conversation_id?: unknown } | undefined
    return typeof body?.conversation_id === 'string' ? body.conversation_id : undefined
  }
}

/** The human sentence of an error body: `detail` when it is a string, else `message` (422). */
export function sentenceOf(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined
  const { detail, message } = body as { detail?: unknown; message?: unknown }
  if (typeof detail === 'string' && detail.trim()) return detail
  if (typeof message === 'string' && message.trim()) return message
  if (Array.isArray(detail)) {
    // A 422 without `message` (another FastAPI app): join the pydantic messages.
    const parts = detail
      .map((item: { msg?: unknown }) => (typeof item?.msg === 'string' ? item.msg : ''))
      .filter(Boolean)
    if (parts.length) return parts.join('; ')
  }
  return undefined
}

/** An ApiError for a failed HTTP answer, with the body's sentence or a plain fallback. */
export function httpError(response: Response, body: unknown): ApiError {
  const fallback = `The server answered ${response.status}${response.statusText ? ` ${response.statusText}` : ''}.`
  const retryAfter = Number.parseInt(response.headers.get('Retry-After') ?? '', 10)
  return new ApiError(
    'http',
    sentenceOf(body) ?? fallback,
    response.status,
    body,
    retryAfter > 0 ? retryAfter : undefined,
  )
}

export function isAbortError(error: unknown): boolean {
  return error instanceof DOMException
    ? error.name === 'AbortError'
    : (error as { name?: unknown } | null)?.name === 'AbortError'
}
