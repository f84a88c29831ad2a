import { describe, expect, it } from 'vitest'
import type { Chart } from '@/api'
import { chartFacts, chartOption, chartRows, highlightedCount, niceCeil } from './chartOption'

const words = {
  series: (name: string) => `S:${name}`,
  band: (category: string) => `B:${category}`,
  line: (label: string) => `L:${label}`,
  date: (t: string) => `D:${t}`,
  unit: 'U',
}

const pressure: Chart = {
  key: 'blood_pressure',
  data_type: 'health',
  unit: 'mmHg',
  kind: 'line',
  series: [
    {
      name: 'systolic_bp',
      points: [
        { t: '2026-11-20T08:00:00+00:00', v: 150, ids: [1] },
        { t: '2026-11-21T08:00:00+00:00', v: 146, ids: [2] },
      ],
    },
    {
      name: 'diastolic_bp',
      points: [
        { t: '2026-11-20T08:00:00+00:00', v: 96, ids: [1] },
        { t: '2026-11-21T08:00:00+00:00', v: 94, ids: [2] },
      ],
    },
  ],
  bands: [
    { low: null, high: 120, category: 'normal', severity: 'good' },
    { low: 140, high: null, category: 'stage_2', severity: 'alert' },
  ],
  lines: [{ value: 90, label: 'diastolic_threshold' }],
  events: [],
  guideline: 'acc_aha_2017',
  markers: [
    {
      insight_id: 9,
      key: 'health.blood_pressure',
      severity: 'alert',
      text: 'Your blood pressure averaged 148/95',
      t: '2026-11-21T08:00:00+00:00',
      v: 146,
      ids: [1, 2],
    },
  ],
}

describe('chart options', () => {
  it('draws the guideline bands, the reference line and the insight at its record', () => {
    const option = chartOption(pressure, words) as { series: Record<string, any>[]; yAxis: Record<string, unknown> }
    const [systolic, diastolic] = option.series
    expect(systolic!.name).toBe('S:systolic_bp')
    const areas = systolic!.markArea.data
    expect(areas.map((area: any[]) => area[0].name)).toEqual(['B:normal', 'B:stage_2'])
    expect(areas[0][0].yAxis).toBe(0)
    expect(areas[1][1].yAxis).toBe(200) // the open band ends at a round number above the data
    expect(option.yAxis).toMatchObject({ min: 60, max: 200, name: 'U' }) // near the data, not 0
    expect(systolic!.markLine.data).toEqual([{ name: 'L:diastolic_threshold', yAxis: 90 }])
    expect(systolic!.markPoint.data).toHaveLength(1)
    expect(systolic!.markPoint.data[0].coord).toEqual(['2026-11-21T08:00:00+00:00', 146])
    expect(diastolic!.markPoint.data).toHaveLength(0)
    expect(diastolic!.markArea).toBeUndefined()
  })

  it('rounds the axis top', () => {
    expect([niceCeil(8295), niceCeil(162), niceCeil(2280 * 1.08), niceCeil(7)]).toEqual([10000, 200, 2500, 10])
  })

  it('highlights the records a recommendation cites', () => {
    const option = chartOption(pressure, words, new Set([2])) as { series: Record<string, any>[] }
    const sizes = option.series[0]!.data.map((point: { symbolSize: number }) => point.symbolSize)
    expect(sizes).toEqual([6, 13])
    expect(highlightedCount(pressure, new Set([2]))).toBe(1) // one reading, drawn on two lines
  })

  it('puts bars of categories on one axis and stacks expense categories', () => {
    const chart: Chart = {
      key: 'expense_categories',
      data_type: 'finance',
      unit: 'CNY',
      kind: 'stacked_bar',
      series: [
        { name: 'food', points: [{ t: '2026-09', v: 348.5, ids: [1] }, { t: '2026-10', v: 42, ids: [3] }] },
        { name: 'groceries', points: [{ t: '2026-10', v: 580, ids: [4] }] },
      ],
      bands: [],
      lines: [],
      events: [],
      guideline: null,
      markers: [],
    }
    const option = chartOption(chart, words) as { series: Record<string, any>[]; xAxis: { data: string[] } }
    expect(option.xAxis.data).toEqual(['2026-09', '2026-10'])
    expect(option.series.map((s) => s.stack)).toEqual(['total', 'total'])
    expect(option.series[1]!.data[0]).toBeNull() // no groceries in September
    expect(option.series[1]!.data[1].value).toBe(580)
  })

  it('gives the text alternative its facts and table rows', () => {
    expect(chartFacts(pressure)).toEqual({ n: 2, last: '146', avg: '148' })
    expect(chartRows(pressure)).toEqual([
      { t: '2026-11-20T08:00:00+00:00', values: [150, 96], highlighted: [1, 1] },
      { t: '2026-11-21T08:00:00+00:00', values: [146, 94], highlighted: [2, 2] },
    ])
  })
})
