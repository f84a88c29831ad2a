// Personal access tokens on the privacy page: the list, making one (shown once), revoking one.
import { ref, shallowRef } from 'vue'
import type { Ref, ShallowRef } from 'vue'
import type { Api } from '@/api/client'
import type { AccessToken, AccessTokenCreated, AccessTokenRequest } from '@/api/types'

export interface AccessTokensState {
  tokens: ShallowRef<AccessToken[]>
  loading: Ref<boolean>
  error: ShallowRef<unknown>
  /** The token just made, with the token itself: held only until `forgetCreated`. */
  created: ShallowRef<AccessTokenCreated | null>
  load: () => Promise<void>
  /** Makes a token and puts it first; rejects with the server's reason (e.g. too many). */
  create: (request: AccessTokenRequest) => Promise<AccessTokenCreated>
  /** Revokes a token and drops it from the list (and the shown token, if it was that one). */
  revoke: (tokenId: string) => Promise<void>
  /** The user copied the new token (or gave up): it is never shown again. */
  forgetCreated: () => void
}

type TokensApi = Pick<Api, 'listAccessTokens' | 'createAccessToken' | 'revokeAccessToken'>

export function useAccessTokens(api: TokensApi): AccessTokensState {
  const tokens = shallowRef<AccessToken[]>([])
  const loading = ref(false)
  const error = shallowRef<unknown>(null)
  const created = shallowRef<AccessTokenCreated | null>(null)

  async function load(): Promise<void> {
    loading.value = true
    error.value = null
    try {
      tokens.value = await api.listAccessTokens()
    } catch (failure) {
      error.value = failure
    } finally {
      loading.value = false
    }
  }

  async function create(request: AccessTokenRequest): Promise<AccessTokenCreated> {
    const made = await api.createAccessToken(request)
    created.value = made
    const { token: _secret, ...listed } = made // the list never holds the token itself
    tokens.value = [listed, ...tokens.value]
    return made
  }

  async function revoke(tokenId: string): Promise<void> {
    await api.revokeAccessToken(tokenId)
    tokens.value = tokens.value.filter((token) => token.id !== tokenId)
    if (created.value?.id === tokenId) created.value = null
  }

  function forgetCreated(): void {
    created.value = null
  }

  return { tokens, loading, error, created, load, create, revoke, forgetCreated }
}

/** Whether a token has passed its expiry (it stays listed until revoked, marked expired). */
export function isExpired(token: AccessToken, now: Date = new Date()): boolean {
  return token.expires_at !== null && new Date(token.expires_at).getTime() <= now.getTime()
}
