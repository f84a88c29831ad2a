import { describe, expect, it } from 'vitest'
import { emptyForm, recordData, splitList, validateRecord } from './dataTypes'

describe('record forms', () => {
  it('asks a health record for at least one measurement', () => {
    expect(validateRecord('health', emptyForm('health'))).toEqual({
      _record: { key: 'data.rules.atLeastOne' },
    })
    expect(validateRecord('health', { ...emptyForm('health'), steps: 3200 })).toEqual({})
  })

  it('applies the backend ranges and integer rules', () => {
    const problems = validateRecord('health', { steps: 2.5, resting_heart_rate: 300, sleep_hours: 7 })
    expect(problems.steps).toEqual({ key: 'data.rules.integer' })
    expect(problems.resting_heart_rate).toEqual({ key: 'data.rules.range', params: { min: 25, max: 220 } })
    expect(problems.sleep_hours).toBeUndefined()
  })

  it('checks currencies, lists and required behaviour fields', () => {
    expect(validateRecord('finance', { income: 100, currency: 'yuan' }).currency).toEqual({
      key: 'data.rules.currency',
    })
    const courses = Array.from({ length: 21 }, (_, i) => `course ${i}`).join('\n')
    expect(validateRecord('education', { courses }).courses).toMatchObject({ key: 'data.rules.tooMany' })
    const behavior = validateRecord('behavior', { category: '', event: 'walked' })
    expect(behavior.category).toEqual({ key: 'data.rules.required' })
    expect(behavior.event).toBeUndefined()
  })

  it('builds the request data: blanks dropped, numbers and lists typed', () => {
    expect(recordData('health', { steps: '3200', sleep_hours: null, note: '  ' })).toEqual({ steps: 3200 })
    expect(recordData('education', { courses: 'Python；统计, SQL', study_minutes: 90 })).toEqual({
      courses: ['Python', '统计', 'SQL'],
      study_minutes: 90,
    })
    expect(recordData('health', { glucose_mmol_l: 5.2, fasting: true })).toEqual({ glucose_mmol_l: 5.2, fasting: true })
    expect(recordData('finance', { ...emptyForm('finance'), income: 9000 })).toEqual({
      income: 9000,
      currency: 'CNY',
      period: 'month',
    })
  })

  it('asks for both blood pressure numbers and for glucose in one unit only', () => {
    const problems = validateRecord('health', { systolic_bp: 148, glucose_mmol_l: 5, glucose_mg_dl: 90 })
    expect(problems.diastolic_bp).toEqual({ key: 'data.rules.together', params: { with: 'systolic_bp' } })
    expect(problems.glucose_mg_dl).toEqual({ key: 'data.rules.oneOf' })
    expect(validateRecord('health', { systolic_bp: 148, diastolic_bp: 95 })).toEqual({})
  })

  it('needs a name, a value and a unit for a custom metric', () => {
    const problems = validateRecord('custom', { name: 'water', value: null, unit: '' })
    expect(Object.keys(problems).sort()).toEqual(['unit', 'value'])
  })

  it('splits list text on new lines and on Chinese or Latin separators', () => {
    expect(splitList('a\nb;c，d,  ')).toEqual(['a', 'b', 'c', 'd'])
  })
})
