// Reads the Server-Sent Events of `POST /api/chat/stream` from a fetch body.
// EventSource cannot POST, so the body is parsed with eventsource-parser's stream.
import { EventSourceParserStream } from 'eventsource-parser/stream'
import { ApiError } from './errors'
import type { ChatEvent, ChatFinal, ImportFailure, ImportProgress, ImportReport } from './types'

const INTERRUPTED = 'The connection closed before the answer was complete; please try again.'

function parseJson(data: string, event: string): unknown {
  try {
    return JSON.parse(data)
  } catch {
    throw new ApiError('stream', `The server sent an unreadable \`${event}\` event.`)
  }
}

/**
 * Yields one `start` event (where the message was saved), `queued` events while the answer waits
 * for the model (position 0 once the model starts on it), `token` events as they arrive, and then
 * one `final` event.
 *
 * Throws an ApiError (kind `stream`) on an `error` event (its body keeps `retry_after` when the
 * model was too busy) or when the stream ends without a `final`; an aborted fetch rejects with
 * the fetch's AbortError. Unknown events are skipped.
 */
export async function* readChatEvents(
  body: ReadableStream<Uint8Array>,
): AsyncGenerator<ChatEvent, void, undefined> {
  const events = body
    // TypeScript's DOM types disagree on TextDecoderStream's input type; bytes are what it reads.
    .pipeThrough(new TextDecoderStream() as TransformStream<Uint8Array, string>)
    .pipeThrough(new EventSourceParserStream())
    .getReader()
  try {
    for (;;) {
      const { value: message, done } = await events.read()
      if (done) throw new ApiError('stream', INTERRUPTED)
      switch (message.event) {
        case 'start': {
          const { conversation_id: conversationId, turn_id: turnId } = parseJson(
            message.data,
            'start',
          ) as { conversation_id?: unknown; turn_id?: unknown }
          if (typeof conversationId === 'string' && typeof turnId === 'number') {
            yield { type: 'start', conversationId, turnId }
          }
          break
        }
        case 'queued': {
          const { position, estimated_wait_s: wait } = parseJson(message.data, 'queued') as {
            position?: unknown
            estimated_wait_s?: unknown
          }
          if (typeof position === 'number') {
            yield {
              type: 'queued',
              position,
              estimatedWaitS: typeof wait === 'number' ? wait : null,
            }
          }
          break
        }
        case 'token': {
          const { text } = parseJson(message.data, 'token') as { text?: unknown }
          if (typeof text === 'string' && text) yield { type: 'token', text }
          break
        }
        case 'final':
          yield { type: 'final', final: parseJson(message.data, 'final') as ChatFinal }
          return
        case 'error': {
          const body = parseJson(message.data, 'error') as { message?: unknown }
          const sentence = body.message
          if (typeof sentence === 'string' && sentence) {
            throw new ApiError('stream', sentence, 0, body)
          }
          throw new ApiError('stream', 'The model failed to answer.')
        }
        default:
        // Future or keep-alive events: nothing to show.
      }
    }
  } finally {
    // Stops reading (and so the download) when the consumer leaves early.
    await events.cancel().catch(() => undefined)
  }
}

/**
 * Reads the Server-Sent Events of `POST /api/user-data/import` (asked for as a stream): hands each
 * `progress` event to `onProgress` and resolves to the `report`. An `error` event rejects with an
 * ApiError carrying the status the plain answer would have had (400, 403).
 */
export async function readImportEvents(
  body: ReadableStream<Uint8Array>,
  onProgress?: (progress: ImportProgress) => void,
): Promise<ImportReport> {
  const events = body
    .pipeThrough(new TextDecoderStream() as TransformStream<Uint8Array, string>)
    .pipeThrough(new EventSourceParserStream())
    .getReader()
  try {
    for (;;) {
      const { value: message, done } = await events.read()
      if (done) throw new ApiError('stream', 'The connection closed before the import finished.')
      if (message.event === 'progress') {
        onProgress?.(parseJson(message.data, 'progress') as ImportProgress)
      } else if (message.event === 'report') {
        return parseJson(message.data, 'report') as ImportReport
      } else if (message.event === 'error') {
        const failure = parseJson(message.data, 'error') as ImportFailure
        const detail = failure.detail || 'The import failed.'
        throw new ApiError('http', detail, failure.status ?? 0, { ...failure, detail })
      }
    }
  } finally {
    await events.cancel().catch(() => undefined)
  }
}
