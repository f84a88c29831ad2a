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
  | { type: 'queued'; position: number; estimatedWaitS: number | null }
  | { type: 'token'; text: string }
  | { type: 'final'; final: ChatFinal }

/** Newest first (`GET /api/memories`), or best first with a `query` (`POST /api/memories/search`). */
export interface MemoryQuery {
  query?: string
  limit?: number
  offset?: number
}

/** Advice per dimension (`GET /api/recommendations`); `behavior` only when there is such data. */
export type Recommendations = Schemas['RecommendationsOut']
export type RecommendationItem = Schemas['RecommendationItem']
/** What a conclusion rests on: a memory, a data record or an insight (the export's table names). */
export type SourceRef = Schemas['SourceRef']
export type FeedbackRequest = Schemas['FeedbackIn']
export type Feedback = Schemas['FeedbackOut']
/** Query of `GET /api/feedback`: your own feedback, optionally for some targets only. */
export type FeedbackQuery = NonNullable<paths['/api/feedback']['get']['parameters']['query']>

/** The kinds of structured data, each with its own fields (memory/records/datatypes.py). */
export type DataType = Schemas['UserDataOut']['data_type']
export type UserDataRequest =
  paths['/api/user-data']['post']['requestBody']['content']['application/json']
export type UserDataRecord = Schemas['UserDataOut']
export type ImportReport = Schemas['ImportReport']
export type ImportProgress = Schemas['ImportProgress']
/** Why an import stopped; `code` asks for the password of a locked ZIP. */
export type ImportFailure = Schemas['ImportFailure']
export type ImportSummary = Schemas['ImportSummaryOut']
export type ImportFormat = NonNullable<
  NonNullable<paths['/api/user-data/import']['post']['parameters']['query']>['format']
>
/** Which CSV column fills which field of one data type (the generic CSV importer). */
export interface ColumnMapping {
  data_type: DataType
  columns: Record<string, string>
}
export type CsvPreview = Schemas['CsvPreviewOut']
export type Chart = Schemas['Chart']
export type Charts = Schemas['ChartsOut']
export type ChartSeries = Schemas['ChartSeries']
export type ChartPoint = Schemas['ChartPoint']
export type ChartMarker = Schemas['ChartMarker']
export type Consent = Schemas['ConsentOut']
export type ConsentUpdate = Schemas['ConsentUpdate']
export type ConsentChange = Schemas['ConsentChange']

export type Profile = Schemas['ProfileOut']
export type ProfileUpdate = Schemas['ProfileUpdate']
export type Preferences = Schemas['Preferences']
export type Insight = Schemas['InsightOut']
export type MemoryChange = Schemas['MemoryChangeOut']
export type AuditEntry = Schemas['AuditEntryOut']

/** A personal access token as listed (never the token itself). */
export type AccessToken = Schemas['AccessTokenOut']
/** A new token: the only answer that holds the token itself. */
export type AccessTokenCreated = Schemas['AccessTokenCreated']
export type AccessTokenRequest = Schemas['AccessTokenCreate']
export type AccessTokenScope = AccessToken['scope']
/** What is running: the model, what it can do, the stores (`GET /api/system`, no sign-in). */
export type SystemInfo = Schemas['SystemOut']

/** Language of sentences the server writes (advice, insights): `zh` or `en`. */
export type ContentLanguage = 'zh' | 'en'

/** Query of `GET /api/user-data`: newest first. */
export interface UserDataQuery {
  type?: DataType
  /** ISO date-time: only records from then on. */
  since?: string
  limit?: number
  offset?: number
}
