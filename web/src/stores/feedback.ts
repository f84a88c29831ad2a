// The user's own verdicts (thumbs, "I did this"), so the buttons show them again after a reload.
// Buttons that appear together (a conversation's answers, a page of advice) are asked about in one
// request per kind of target.
import { defineStore } from 'pinia'
import { reactive } from 'vue'
import { api } from '@/api'
import type { Feedback, FeedbackRequest } from '@/api'

export type TargetType = FeedbackRequest['target_type']

export interface Verdict {
  rating: 1 | -1
  adopted: boolean
}

/** The most targets one request asks about (the server's limit). */
const BATCH = 200

const keyOf = (type: TargetType, id: string) => `${type}:${id}`

export const useFeedbackStore = defineStore('feedback', () => {
  const verdicts = reactive(new Map<string, Verdict>())
  const asked = new Set<string>()
  let waiting: Map<TargetType, Set<string>> | null = null

  function verdict(type: TargetType, id: string): Verdict | undefined {
    return verdicts.get(keyOf(type, id))
  }

  /** Asks the server about this target, together with the others asked about in this tick. */
  function load(type: TargetType, id: string): void {
    const key = keyOf(type, id)
    if (asked.has(key)) return
    asked.add(key)
    if (!waiting) {
      waiting = new Map()
      queueMicrotask(() => void flush())
    }
    if (!waiting.has(type)) waiting.set(type, new Set())
    waiting.get(type)!.add(id)
  }

  async function flush(): Promise<void> {
    const batch = waiting ?? new Map<TargetType, Set<string>>()
    waiting = null
    for (const [type, ids] of batch) {
      const all = [...ids]
      for (let start = 0; start < all.length; start += BATCH) {
        const some = all.slice(start, start + BATCH)
        try {
          remember(await api.listFeedback({ target_type: type, target_id: some, limit: 500 }))
        } catch {
          // Not worth an error message: the buttons just show no verdict; ask again next time.
          for (const id of some) asked.delete(keyOf(type, id))
        }
      }
    }
  }

  /** Rows come newest first; the newest rating wins, and "I did this" once stays done. */
  function remember(rows: Feedback[]): void {
    for (const row of [...rows].reverse()) {
      const key = keyOf(row.target_type as TargetType, row.target_id)
      const adopted = row.adopted || (verdicts.get(key)?.adopted ?? false)
      verdicts.set(key, { rating: row.rating === -1 ? -1 : 1, adopted })
    }
  }

  /** Records a verdict just given, so every button for the target shows it. */
  function given(type: TargetType, id: string, next: Verdict): void {
    verdicts.set(keyOf(type, id), next)
  }

  function reset(): void {
    verdicts.clear()
    asked.clear()
    waiting = null
  }

  return { verdict, load, given, reset }
})
