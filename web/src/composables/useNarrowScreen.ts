// True on phone-sized screens, following the window as it is resized or rotated.
import { onScopeDispose, ref } from 'vue'

export const NARROW_QUERY = '(max-width: 768px)'

export function useNarrowScreen() {
  const media = typeof window.matchMedia === 'function' ? window.matchMedia(NARROW_QUERY) : null
  const isNarrow = ref(media?.matches ?? false)
  const update = (event: MediaQueryListEvent) => {
    isNarrow.value = event.matches
  }
  media?.addEventListener('change', update)
  onScopeDispose(() => media?.removeEventListener('change', update))
  return isNarrow
}
