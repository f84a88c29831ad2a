import { describe, expect, it, vi } from 'vitest'
import { ApiError } from '@/api/errors'
import type { AccessToken, AccessTokenCreated } from '@/api/types'
import { isExpired, useAccessTokens } from './useAccessTokens'

const listed: AccessToken = {
  id: 'a1',
  name: 'VS Code',
  scope: 'read',
  hint: 'x1Ck',
  created_at: '2026-12-01T10:00:00Z',
  expires_at: null,
  last_used_at: null,
}
const made: AccessTokenCreated = {
  id: 'b2',
  name: 'Claude Desktop',
  scope: 'read_write',
  hint: 'Zq9_',
  created_at: '2026-12-06T10:00:00Z',
  expires_at: '2027-03-06T10:00:00Z',
  last_used_at: null,
  token: 'memadvisor_pat_secretsecretZq9_',
}

function fakeApi() {
  return {
    listAccessTokens: vi.fn(async () => [listed]),
    createAccessToken: vi.fn(async () => made),
    revokeAccessToken: vi.fn(async () => undefined),
  }
}

describe('useAccessTokens', () => {
  it('lists, then shows a new token once and keeps only its listing', async () => {
    const api = fakeApi()
    const state = useAccessTokens(api)
    await state.load()
    expect(state.tokens.value).toEqual([listed])

    await state.create({ name: 'Claude Desktop', scope: 'read_write', expires_in_days: 90 })
    expect(api.createAccessToken).toHaveBeenCalledWith({
      name: 'Claude Desktop',
      scope: 'read_write',
      expires_in_days: 90,
    })
    expect(state.created.value?.token).toBe(made.token)
    expect(state.tokens.value.map((t) => t.id)).toEqual(['b2', 'a1'])
    expect(JSON.stringify(state.tokens.value)).not.toContain(made.token)

    state.forgetCreated()
    expect(state.created.value).toBeNull()
  })

  it('revokes: the token leaves the list, and the shown token if it was that one', async () => {
    const api = fakeApi()
    const state = useAccessTokens(api)
    await state.load()
    await state.create({ name: 'Claude Desktop', scope: 'read_write' })
    await state.revoke('b2')
    expect(api.revokeAccessToken).toHaveBeenCalledWith('b2')
    expect(state.tokens.value).toEqual([listed])
    expect(state.created.value).toBeNull()
  })

  it('keeps the list when a revocation fails, and reports a failed load', async () => {
    const api = fakeApi()
    api.revokeAccessToken.mockRejectedValueOnce(new ApiError('http', 'No such token.', 404))
    const state = useAccessTokens(api)
    await state.load()
    await expect(state.revoke('a1')).rejects.toThrow('No such token.')
    expect(state.tokens.value).toEqual([listed])

    api.listAccessTokens.mockRejectedValueOnce(new Error('offline'))
    await state.load()
    expect(state.error.value).toBeInstanceOf(Error)
    expect(state.loading.value).toBe(false)
  })

  it('tells an expired token', () => {
    const now = new Date('2026-12-06T12:00:00Z')
    expect(isExpired(listed, now)).toBe(false)
    expect(isExpired({ ...listed, expires_at: '2026-12-06T11:59:59Z' }, now)).toBe(true)
    expect(isExpired({ ...listed, expires_at: '2026-12-07T00:00:00Z' }, now)).toBe(false)
  })
})
