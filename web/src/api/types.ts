// Names for the shapes of the MemAdvisor API, taken from the generated schema.d.ts.
import type { components, paths } from './schema'

type Schemas = components['schemas']

export type User = Schemas['UserOut']
export type RegisterRequest = Schemas['UserRegister']
export type LoginRequest =
  paths['/api/auth/login']['post']['requestBody']['content']['application/json']
export type Token = Schemas['TokenOut']
export type ChatRequest = Schemas['ChatIn']

/** The `final` event of `POST /api/chat/stream` (published as a component of the schema). */
export type ChatFinal = Schemas['ChatFinal']
export type Memory = Schemas['MemoryOut']
export type ConversationSummary = Schemas['ConversationOut']
export type ConversationDetail = Schemas['ConversationDetail']
export type Turn = Schemas['TurnOut']

/** Events of `POST /api/chat/stream`, once parsed (an `error` event is thrown as an ApiError). */
export type ChatEvent =
  | { type: 'start'; conversationId: string; turnId: number }
  | { type: 'token'; text: string }
  | { type: 'final'; final: ChatFinal }

/** Query of `GET /api/memories`: newest first, or best first with a `query`. */
export interface MemoryQuery {
  query?: string
  limit?: number
  offset?: number
}
