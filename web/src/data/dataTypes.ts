// The fields of each kind of structured data, with the backend's rules (memory/records/datatypes.py):
// the one place the forms, the list and the validation of the web client read them from.
import type { DataType } from '@/api'

export const DATA_TYPES: readonly DataType[] = ['health', 'finance', 'education', 'behavior', 'custom']

export type FieldKind =
  | 'integer'
  | 'number'
  | 'text'
  | 'list'
  | 'currency'
  | 'period'
  | 'category'
  | 'date'
  | 'bool'

export interface FieldSpec {
  name: string
  kind: FieldKind
  min?: number
  max?: number
  /** Step of the number input. */
  step?: number
  /** The unit, as the API schema states it (`x-unit`); the i18n label names it too. */
  unit?: string
  /** Longest text (or item of a list). */
  maxLength?: number
  /** Most items of a list. */
  maxItems?: number
  required?: boolean
  /** Value the form starts with. */
  initial?: string | number
}

export interface DataTypeSpec {
  fields: FieldSpec[]
  /** The record needs at least one of these (e.g. a health record needs one measurement). */
  atLeastOne: string[]
  /** Fields that go together: if one is given, so must the others (blood pressure). */
  together?: string[][]
  /** Fields of which at most one may be given (the same value in two units). */
  oneOf?: string[][]
}

const MONEY = { kind: 'number', min: 0, max: 1e12, step: 100 } as const
const NOTE: FieldSpec = { name: 'note', kind: 'text', maxLength: 500 }

/** Expense and income categories (memory/records/datatypes.py EXPENSE_CATEGORIES). */
export const CATEGORIES = [
  'food',
  'groceries',
  'transport',
  'housing',
  'utilities',
  'shopping',
  'health',
  'education',
  'entertainment',
  'travel',
  'communication',
  'insurance',
  'family',
  'gifts',
  'salary',
  'investment',
  'transfer',
  'refund',
  'other',
] as const

export const DATA_SPECS: Record<DataType, DataTypeSpec> = {
  health: {
    fields: [
      { name: 'steps', kind: 'integer', min: 0, max: 100_000, step: 500, unit: 'steps' },
      { name: 'sleep_hours', kind: 'number', min: 0, max: 24, step: 0.5, unit: 'h' },
      { name: 'resting_heart_rate', kind: 'integer', min: 25, max: 220, step: 1, unit: 'bpm' },
      { name: 'heart_rate', kind: 'integer', min: 25, max: 250, step: 1, unit: 'bpm' },
      { name: 'weight_kg', kind: 'number', min: 2, max: 400, step: 0.1, unit: 'kg' },
      { name: 'body_fat_pct', kind: 'number', min: 2, max: 75, step: 0.1, unit: '%' },
      { name: 'systolic_bp', kind: 'integer', min: 50, max: 300, step: 1, unit: 'mmHg' },
      { name: 'diastolic_bp', kind: 'integer', min: 30, max: 200, step: 1, unit: 'mmHg' },
      { name: 'pulse', kind: 'integer', min: 25, max: 250, step: 1, unit: 'bpm' },
      { name: 'glucose_mmol_l', kind: 'number', min: 1, max: 40, step: 0.1, unit: 'mmol/L' },
      { name: 'glucose_mg_dl', kind: 'number', min: 18, max: 720, step: 1, unit: 'mg/dL' },
      { name: 'fasting', kind: 'bool' },
      NOTE,
    ],
    atLeastOne: [
      'steps',
      'sleep_hours',
      'resting_heart_rate',
      'heart_rate',
      'weight_kg',
      'body_fat_pct',
      'systolic_bp',
      'pulse',
      'glucose_mmol_l',
      'glucose_mg_dl',
    ],
    together: [['systolic_bp', 'diastolic_bp']],
    oneOf: [['glucose_mmol_l', 'glucose_mg_dl']],
  },
  finance: {
    fields: [
      { name: 'income', ...MONEY },
      { name: 'expenses', ...MONEY },
      { name: 'savings', ...MONEY },
      { name: 'debt', ...MONEY },
      { name: 'category', kind: 'category' },
      { name: 'currency', kind: 'currency', initial: 'CNY' },
      { name: 'period', kind: 'period', initial: 'month' },
      NOTE,
    ],
    atLeastOne: ['income', 'expenses', 'savings', 'debt'],
  },
  education: {
    fields: [
      { name: 'study_minutes', kind: 'number', min: 0, max: 1440, step: 15, unit: 'min' },
      { name: 'subject', kind: 'text', maxLength: 200 },
      { name: 'weekly_goal_hours', kind: 'number', min: 0, max: 168, step: 1, unit: 'h/week' },
      { name: 'exam', kind: 'text', maxLength: 200 },
      { name: 'exam_date', kind: 'date' },
      { name: 'exam_target', kind: 'text', maxLength: 100 },
      { name: 'courses', kind: 'list', maxLength: 200, maxItems: 20 },
      { name: 'goals', kind: 'list', maxLength: 200, maxItems: 20 },
      NOTE,
    ],
    atLeastOne: ['study_minutes', 'courses', 'goals', 'exam', 'weekly_goal_hours'],
  },
  behavior: {
    fields: [
      { name: 'category', kind: 'text', maxLength: 64, required: true },
      { name: 'event', kind: 'text', maxLength: 500, required: true },
      { name: 'duration_minutes', kind: 'number', min: 0, max: 1440, step: 5, unit: 'min' },
      NOTE,
    ],
    atLeastOne: [],
  },
  custom: {
    fields: [
      { name: 'name', kind: 'text', maxLength: 64, required: true },
      { name: 'value', kind: 'number', min: -1e9, max: 1e9, step: 0.1, required: true },
      { name: 'unit', kind: 'text', maxLength: 16, required: true },
      NOTE,
    ],
    atLeastOne: [],
  },
}

export const PERIODS = ['day', 'week', 'month', 'year'] as const

/** What a form holds: numbers, text, or list text (one item per line or separated by ; ，,). */
export type FormValues = Record<string, string | number | boolean | null | undefined>

export function emptyForm(dataType: DataType): FormValues {
  return Object.fromEntries(DATA_SPECS[dataType].fields.map((f) => [f.name, f.initial ?? null]))
}

export function splitList(text: string): string[] {
  return text
    .split(/[\n;；,，]/)
    .map((part) => part.trim())
    .filter(Boolean)
}

function isBlank(value: FormValues[string]): boolean {
  return value === null || value === undefined || value === false || (typeof value === 'string' && !value.trim())
}

/**
 * Problems with the form, per field, as i18n keys with parameters; `_record` for the whole
 * record (none of the required-one-of fields given). Empty when the form is valid.
 */
export function validateRecord(
  dataType: DataType,
  values: FormValues,
): Record<string, { key: string; params?: Record<string, unknown> }> {
  const spec = DATA_SPECS[dataType]
  const problems: Record<string, { key: string; params?: Record<string, unknown> }> = {}
  for (const field of spec.fields) {
    const value = values[field.name]
    if (isBlank(value)) {
      if (field.required) problems[field.name] = { key: 'data.rules.required' }
      continue
    }
    if (field.kind === 'integer' || field.kind === 'number') {
      const number = Number(value)
      if (!Number.isFinite(number) || (field.kind === 'integer' && !Number.isInteger(number))) {
        problems[field.name] = { key: field.kind === 'integer' ? 'data.rules.integer' : 'data.rules.number' }
      } else if (number < (field.min ?? -Infinity) || number > (field.max ?? Infinity)) {
        problems[field.name] = { key: 'data.rules.range', params: { min: field.min, max: field.max } }
      }
    } else if (field.kind === 'currency') {
      if (!/^[A-Z]{3}$/.test(String(value).trim())) problems[field.name] = { key: 'data.rules.currency' }
    } else if (field.kind === 'list') {
      const items = splitList(String(value))
      if (items.length > (field.maxItems ?? Infinity)) {
        problems[field.name] = { key: 'data.rules.tooMany', params: { max: field.maxItems } }
      } else if (items.some((item) => item.length > (field.maxLength ?? Infinity))) {
        problems[field.name] = { key: 'data.rules.tooLong', params: { max: field.maxLength } }
      }
    } else if (String(value).trim().length > (field.maxLength ?? Infinity)) {
      problems[field.name] = { key: 'data.rules.tooLong', params: { max: field.maxLength } }
    }
  }
  for (const group of spec.together ?? []) {
    const given = group.filter((name) => !isBlank(values[name]))
    if (given.length && given.length < group.length) {
      for (const name of group) {
        if (isBlank(values[name])) problems[name] ??= { key: 'data.rules.together', params: { with: given[0] } }
      }
    }
  }
  for (const group of spec.oneOf ?? []) {
    if (group.filter((name) => !isBlank(values[name])).length > 1) {
      problems[group[1]!] ??= { key: 'data.rules.oneOf' }
    }
  }
  if (spec.atLeastOne.length && spec.atLeastOne.every((name) => isBlank(values[name]))) {
    problems._record = { key: 'data.rules.atLeastOne' }
  }
  return problems
}

/** The `data` of the request: blank fields left out, numbers as numbers, lists as lists. */
export function recordData(dataType: DataType, values: FormValues): Record<string, unknown> {
  const data: Record<string, unknown> = {}
  for (const field of DATA_SPECS[dataType].fields) {
    const value = values[field.name]
    if (isBlank(value)) continue
    if (field.kind === 'integer' || field.kind === 'number') data[field.name] = Number(value)
    else if (field.kind === 'bool') data[field.name] = value === true || value === 'true'
    else if (field.kind === 'list') data[field.name] = splitList(String(value))
    else if (field.kind === 'currency') data[field.name] = String(value).trim().toUpperCase()
    else data[field.name] = String(value).trim()
  }
  return data
}
