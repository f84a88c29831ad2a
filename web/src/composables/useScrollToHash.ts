// Links to one item of a page (`/profile#insight-3`, from the sources of a recommendation): once
// the page has drawn its list, scroll to the item, focus it and mark it for a moment.
import { nextTick, watch } from 'vue'
import type { Ref } from 'vue'
import { useRoute } from 'vue-router'

export function useScrollToHash(ready: Ref<boolean>): void {
  const route = useRoute()
  watch(
    [ready, () => route.hash],
    async ([isReady, hash]) => {
      if (!isReady || !hash) return
      await nextTick()
      const target = document.getElementById(decodeURIComponent(hash.slice(1)))
      if (!target) return
      target.classList.add('linked-target')
      if (!target.hasAttribute('tabindex')) target.setAttribute('tabindex', '-1')
      target.scrollIntoView({ block: 'center' })
      target.focus({ preventScroll: true })
    },
    { immediate: true },
  )
}
