// Where each kind of source lives in the app: a memory, a data record, an insight.
import type { RouteLocationRaw } from 'vue-router'
import type { SourceRef } from '@/api'

/** The element id an item carries on its page, so that links can point at it. */
export const anchorId = {
  memories: (id: string | number) => `memory-${id}`,
  user_data: (id: string | number) => `record-${id}`,
  user_insights: (id: string | number) => `insight-${id}`,
} as const

const PAGE: Record<SourceRef['kind'], string> = {
  memories: 'memories',
  user_data: 'user-data',
  user_insights: 'profile',
}

export function sourceLocation(source: SourceRef): RouteLocationRaw {
  return { name: PAGE[source.kind], hash: `#${anchorId[source.kind](source.id)}` }
}

/** The trend charts with the records among `sources` highlighted, or null if none is a record. */
export function chartLocation(sources: SourceRef[]): RouteLocationRaw | null {
  const ids = sources.filter((source) => source.kind === 'user_data').map((source) => source.id)
  return ids.length ? { name: 'charts', query: { highlight: ids.join(',') } } : null
}
