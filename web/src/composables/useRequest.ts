// One request's states for a page: loading, its data, its error; only the latest run counts.
import { ref, shallowRef } from 'vue'
import type { Ref, ShallowRef } from 'vue'

export interface RequestState<T, A extends unknown[]> {
  data: ShallowRef<T | null>
  loading: Ref<boolean>
  error: ShallowRef<unknown>
  /** Runs the request; resolves to its data, or null when it failed or a newer run replaced it. */
  run: (...args: A) => Promise<T | null>
}

export function useRequest<T, A extends unknown[] = []>(
  load: (...args: A) => Promise<T>,
): RequestState<T, A> {
  const data = shallowRef<T | null>(null)
  const loading = ref(false)
  const error = shallowRef<unknown>(null)
  let latest = 0

  async function run(...args: A): Promise<T | null> {
    const request = ++latest
    loading.value = true
    error.value = null
    try {
      const answer = await load(...args)
      if (request !== latest) return null
      data.value = answer
      return answer
    } catch (failure) {
      if (request === latest) error.value = failure
      return null
    } finally {
      if (request === latest) loading.value = false
    }
  }

  return { data, loading, error, run }
}
