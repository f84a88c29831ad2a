// @vitest-environment node
// The typed client is checked against the API: schema.d.ts must be what openapi.json generates.
// After a backend change: `npm run gen:api` (from a running server), then commit both files.
import { readFile } from 'node:fs/promises'
import { describe, expect, it } from 'vitest'
import { renderSchemaTypes } from './gen-api.mjs'

const read = (path: string) => readFile(new URL(path, import.meta.url), 'utf8')

describe('src/api/schema.d.ts', () => {
  it('is generated from the committed openapi.json', async () => {
    const spec = JSON.parse(await read('../openapi.json'))
    expect(await renderSchemaTypes(spec)).toBe(await read('../src/api/schema.d.ts'))
  })

  it('has every endpoint the client calls', async () => {
    const spec = JSON.parse(await read('../openapi.json'))
    const client = await read('../src/api/client.ts')
    const called = [...client.matchAll(/client\.(?:GET|POST|DELETE|PUT|PATCH)\('([^']+)'/g)].map((m) => m[1])
    expect(called.length).toBeGreaterThan(5)
    for (const path of called) expect(Object.keys(spec.paths)).toContain(path)
  })
})
