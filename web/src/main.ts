import 'element-plus/dist/index.css'
import './styles.css'
import { createPinia } from 'pinia'
import { createApp } from 'vue'
import { onSessionRenewed, onUnauthorized } from '@/api'
import App from './App.vue'
import { i18n } from './i18n'
import { router } from './router'
import { useAuthStore } from './stores/auth'
import { useConversationsStore } from './stores/conversations'
import { useMemoriesStore } from './stores/memories'

const app = createApp(App).use(createPinia()).use(router).use(i18n)
document.documentElement.lang = i18n.global.locale.value

const auth = useAuthStore()

/** Forget everything of the signed-out user held in memory. */
function clearUserState(): void {
  useConversationsStore().reset()
  useMemoriesStore().reset()
}

// The server refused the token (expired, account gone): back to sign-in, then back here.
onUnauthorized(() => {
  if (!auth.isSignedIn) return
  auth.signOut()
  clearUserState()
  // While the first navigation is still loading its page, the address bar knows where we go.
  const here = router.currentRoute.value
  const target = here.matched.length ? here : router.resolve(location.pathname + location.search)
  if (!target.meta.public) {
    void router.push({ name: 'sign-in', query: { redirect: target.fullPath, expired: '1' } })
  }
})

// A refresh stored new tokens: keep the store in step (the account stays loaded).
onSessionRenewed(() => auth.syncFromStorage())

// Signing in or out in another tab applies here too.
window.addEventListener('storage', () => {
  const wasSignedIn = auth.isSignedIn
  auth.syncFromStorage()
  if (wasSignedIn && !auth.isSignedIn) {
    clearUserState()
    void router.push({ name: 'sign-in' })
  }
})

app.mount('#app')
