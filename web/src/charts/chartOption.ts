// Turns one chart of `GET /api/user-data/charts` into an Apache ECharts option, and into the
// sentence and table that stand for it for people who do not see it. Pure functions: the
// component only renders what these return.
import type { Chart, ChartPoint } from '@/api'

/** Words the option needs, in the reader's language (the component passes i18n lookups). */
export interface ChartWords {
  series: (name: string) => string
  band: (category: string) => string
  line: (label: string) => string
  /** A date `t` as the reader writes it (a day, a week's Monday, a month). */
  date: (t: string) => string
  /** The chart's unit as the reader writes it. */
  unit: string
}

/** Severity colours, light enough behind the lines, with text dark enough to read. */
export const BAND_COLOURS: Record<string, string> = {
  good: 'rgba(82, 196, 26, 0.14)',
  info: 'rgba(250, 173, 20, 0.14)',
  warning: 'rgba(250, 140, 22, 0.18)',
  alert: 'rgba(245, 34, 45, 0.16)',
}
export const MARKER_COLOURS: Record<string, string> = {
  good: '#389e0d',
  info: '#1677ff',
  warning: '#d46b08',
  alert: '#cf1322',
}
const HIGHLIGHT = '#c41d7f'

function isHighlighted(point: ChartPoint, highlight: ReadonlySet<number>): boolean {
  return point.ids.some((id) => highlight.has(id))
}

/** How many of the chart's records are highlighted (a reading on two lines counts once). */
export function highlightedCount(chart: Chart, highlight: ReadonlySet<number>): number {
  const ids = chart.series.flatMap((series) => series.points.flatMap((point) => point.ids))
  return new Set(ids.filter((id) => highlight.has(id))).size
}

/** A round number at or above `value` (1, 2, 2.5 or 5 times a power of ten). */
export function niceCeil(value: number): number {
  if (value <= 0) return 0
  const power = 10 ** Math.floor(Math.log10(value))
  const step = [1, 2, 2.5, 5, 10].find((factor) => factor * power >= value - 1e-9) ?? 10
  return step * power
}

/** A round number at or below `value`: an even multiple of its power of ten (80 → 80, 79 → 60). */
function niceFloor(value: number): number {
  if (value <= 0) return 0
  const step = 2 * 10 ** Math.floor(Math.log10(value))
  return Math.floor(value / step) * step
}

/** Measures that sit far from zero: their axis starts near the data, not at 0. */
const FROM_DATA = new Set(['blood_pressure', 'glucose', 'bmi', 'weight_kg', 'body_fat_pct', 'heart_rate', 'resting_heart_rate'])

function values(chart: Chart): number[] {
  return chart.series.flatMap((series) => series.points.map((point) => point.v))
}

/** The value axis: from 0 (or near the data), up to a round number above the data, the
 * closed bands' edges and the reference lines, so open-ended bands end at the top. */
function axisRange(chart: Chart): { min?: number; max?: number } {
  const data = values(chart)
  const edges = chart.bands.flatMap((band) => [band.low ?? 0, band.high ?? 0])
  const lines = chart.lines.map((line) => Number(line.value) || 0)
  const stacked = chart.kind === 'stacked_bar'
    ? Math.max(0, ...[...new Set(chart.series.flatMap((s) => s.points.map((p) => p.t)))].map((t) =>
        chart.series.reduce((sum, s) => sum + (s.points.find((p) => p.t === t)?.v ?? 0), 0)))
    : 0
  const max = niceCeil(Math.max(...data, ...lines, stacked, 1) * 1.08)
  const top = Math.max(max, niceCeil(Math.max(...edges.filter((edge) => edge <= max * 1.5), 0)))
  if (FROM_DATA.has(chart.key) && !chart.bands.length) return {} // ECharts scales to the data
  const min = FROM_DATA.has(chart.key) && data.length ? niceFloor(Math.min(...data) * 0.85) : 0
  return { min, max: top }
}

/** The week (Monday) an exam date falls in, as the study chart's axis names weeks. */
function mondayOf(day: string): string {
  const date = new Date(`${day}T00:00:00Z`)
  date.setUTCDate(date.getUTCDate() - ((date.getUTCDay() + 6) % 7))
  return date.toISOString().slice(0, 10)
}

export function chartOption(
  chart: Chart,
  words: ChartWords,
  highlight: ReadonlySet<number> = new Set(),
  narrow = false,
): Record<string, unknown> {
  const isLine = chart.kind === 'line'
  const { min, max: top } = axisRange(chart)
  const categories = isLine
    ? []
    : [...new Set(chart.series.flatMap((series) => series.points.map((point) => point.t)))].sort()

  const series = chart.series.map((item, index) => {
    const data = item.points.map((point) => {
      const marked = isHighlighted(point, highlight)
      const value = isLine ? [point.t, point.v] : point.v
      return {
        value,
        ids: point.ids,
        symbolSize: marked ? 13 : 6,
        itemStyle: marked ? { color: HIGHLIGHT, borderColor: '#fff', borderWidth: 2 } : undefined,
      }
    })
    const aligned = isLine
      ? data
      : categories.map((t) => data[item.points.findIndex((point) => point.t === t)] ?? null)
    const first = index === 0
    return {
      name: words.series(item.name),
      type: isLine ? 'line' : 'bar',
      stack: chart.kind === 'stacked_bar' ? 'total' : undefined,
      data: aligned,
      showSymbol: true,
      connectNulls: true,
      barMaxWidth: 28,
      markArea: first && chart.bands.length
        ? {
            silent: true,
            label: { show: !narrow, position: 'insideTopRight', color: '#595959', fontSize: 11 },
            data: chart.bands.map((band) => [
              {
                name: words.band(band.category),
                yAxis: band.low ?? 0,
                itemStyle: { color: BAND_COLOURS[band.severity] ?? BAND_COLOURS.info },
              },
              { yAxis: band.high ?? top ?? 'max' },
            ]),
          }
        : undefined,
      markLine: first && (chart.lines.length || chart.events.length)
        ? {
            silent: true,
            symbol: 'none',
            lineStyle: { type: 'dashed', color: '#8c8c8c' },
            label: { formatter: '{b}', color: '#595959', fontSize: 11, position: 'insideEndTop' },
            data: [
              ...chart.lines.map((line) => ({ name: words.line(String(line.label)), yAxis: Number(line.value) })),
              ...chart.events
                .map((event) => ({ name: String(event.label), xAxis: mondayOf(String(event.t)) }))
                .filter((event) => !isLine && categories.includes(event.xAxis)),
            ],
          }
        : undefined,
      markPoint: {
        symbol: 'pin',
        symbolSize: 34,
        label: { show: true, formatter: '!', color: '#fff', fontWeight: 'bold' },
        data: chart.markers
          .filter((marker) => item.points.some((point) => point.t === marker.t && point.v === marker.v))
          .map((marker) => ({
            name: marker.text,
            coord: isLine ? [marker.t, marker.v] : [marker.t, marker.v],
            itemStyle: { color: MARKER_COLOURS[marker.severity] ?? MARKER_COLOURS.info },
          })),
        tooltip: { formatter: (params: { name: string }) => params.name },
      },
    }
  })

  return {
    animation: false,
    // Room on the right and at the top for the insight pins at the latest records.
    grid: { left: 8, right: 20, top: chart.series.length > 1 ? 48 : 32, bottom: 8, containLabel: true },
    legend: chart.series.length > 1 ? { type: 'scroll', top: 0 } : undefined,
    tooltip: {
      trigger: isLine ? 'item' : 'axis',
      confine: true,
      valueFormatter: (value: unknown) =>
        `${typeof value === 'number' ? Math.round(value * 100) / 100 : String(value)} ${words.unit}`,
    },
    xAxis: isLine
      ? { type: 'time', axisLabel: { hideOverlap: true, color: '#595959' } }
      : {
          type: 'category',
          data: categories,
          axisLabel: { hideOverlap: true, color: '#595959', formatter: (t: string) => words.date(t) },
        },
    yAxis: {
      type: 'value',
      name: words.unit,
      nameTextStyle: { color: '#595959', align: 'left' },
      min,
      max: top,
      scale: min === undefined,
      axisLabel: { color: '#595959' },
    },
    series,
  }
}

function round(value: number): string {
  return (Math.round(value * 10) / 10).toLocaleString()
}

/** The chart in one sentence's worth of facts, for the text alternative. */
export function chartFacts(chart: Chart): { n: number; last: string; avg: string } {
  const points = chart.series[0]?.points ?? []
  const values = points.map((point) => point.v)
  const last = values.length ? values[values.length - 1]! : 0
  const avg = values.length ? values.reduce((a, b) => a + b, 0) / values.length : 0
  return { n: values.length, last: round(last), avg: round(avg) }
}

/** Rows of the data table that stands for the chart: a date and one value per series. */
export function chartRows(chart: Chart): { t: string; values: (number | null)[]; highlighted: number[] }[] {
  const times = [...new Set(chart.series.flatMap((series) => series.points.map((point) => point.t)))].sort()
  return times.map((t) => {
    const points = chart.series.map((series) => series.points.find((point) => point.t === t))
    return {
      t,
      values: points.map((point) => (point ? Math.round(point.v * 100) / 100 : null)),
      highlighted: points.flatMap((point) => point?.ids ?? []),
    }
  })
}
