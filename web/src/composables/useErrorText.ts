// Turns any failure into a sentence for the person using the app, in their language where the
// app knows the case, otherwise the server's own sentence (`detail` / `message`).
import { useI18n } from 'vue-i18n'
import { ApiError } from '@/api'

export function useErrorText() {
  const { t } = useI18n()
  return function errorText(error: unknown): string {
    if (error instanceof ApiError) {
      if (error.kind === 'network') return t('errors.network')
      if (error.kind === 'http' && error.status === 401) return t('auth.sessionExpired')
      // A proxy's 502/504 has no sentence: the backend itself is not answering.
      if (error.status === 502 || error.status === 504) return t('errors.network')
      // The model is busy with others: the message was kept, and the server said when to retry.
      if (error.retryAfter !== undefined) return t('queue.busy', { seconds: error.retryAfter })
      if (error.fromServer) return error.message
      if (error.kind === 'stream') return t('errors.interrupted')
      if (error.status >= 500) return t('errors.server', { status: error.status })
      return error.message
    }
    return t('errors.unexpected')
  }
}
