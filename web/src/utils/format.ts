// Dates and scores in the reader's language.

/** "2026年11月24日 22:23" / "Nov 24, 2026, 10:23 PM". */
export function formatDateTime(iso: string, locale: string): string {
  const date = new Date(iso)
  if (Number.isNaN(date.getTime())) return iso
  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' }).format(date)
}

/** A 0-1 similarity as a percentage: 0.892 → "89%". */
export function formatScore(score: number, locale: string): string {
  return new Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: 0 }).format(
    Math.min(Math.max(score, 0), 1),
  )
}
