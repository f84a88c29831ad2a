// The language the server should write its sentences in (advice, insights): the app's language.
import { computed } from 'vue'
import type { ComputedRef } from 'vue'
import { useI18n } from 'vue-i18n'
import type { ContentLanguage } from '@/api'

export function useContentLanguage(): ComputedRef<ContentLanguage> {
  const { locale } = useI18n()
  return computed(() => (locale.value.startsWith('zh') ? 'zh' : 'en'))
}
