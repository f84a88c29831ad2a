// Pages and who may see them. History mode: the backend answers index.html for these paths.
import { createRouter, createWebHistory } from 'vue-router'
import type { RouteLocationNormalized, RouteRecordRaw } from 'vue-router'
import { useAuthStore } from '@/stores/auth'

declare module 'vue-router' {
  interface RouteMeta {
    /** Reachable without signing in (the sign-in and sign-up pages). */
    public?: boolean
    /** The i18n key of the page's name, for the document title. */
    titleKey?: string
  }
}

const routes: RouteRecordRaw[] = [
  { path: '/', redirect: { name: 'chat' } },
  {
    path: '/sign-in',
    name: 'sign-in',
    component: () => import('@/views/SignInView.vue'),
    meta: { public: true, titleKey: 'auth.signIn' },
  },
  {
    path: '/sign-up',
    name: 'sign-up',
    component: () => import('@/views/SignUpView.vue'),
    meta: { public: true, titleKey: 'auth.signUp' },
  },
  {
    path: '/chat/:conversationId?',
    name: 'chat',
    component: () => import('@/views/ChatView.vue'),
    meta: { titleKey: 'nav.chat' },
  },
  {
    path: '/memories',
    name: 'memories',
    component: () => import('@/views/MemoriesView.vue'),
    meta: { titleKey: 'nav.memories' },
  },
  {
    path: '/privacy',
    name: 'privacy',
    component: () => import('@/views/PrivacyView.vue'),
    meta: { titleKey: 'nav.privacy' },
  },
  {
    path: '/recommendations',
    name: 'recommendations',
    component: () => import('@/views/RecommendationsView.vue'),
    meta: { titleKey: 'nav.recommendations' },
  },
  {
    path: '/user-data',
    name: 'user-data',
    component: () => import('@/views/UserDataView.vue'),
    meta: { titleKey: 'nav.userData' },
  },
  {
    path: '/charts',
    name: 'charts',
    component: () => import('@/views/ChartsView.vue'),
    meta: { titleKey: 'nav.charts' },
  },
  {
    path: '/profile',
    name: 'profile',
    component: () => import('@/views/ProfileView.vue'),
    meta: { titleKey: 'nav.profile' },
  },
  {
    path: '/:unknown(.*)*',
    name: 'not-found',
    component: () => import('@/views/NotFoundView.vue'),
    meta: { public: true, titleKey: 'notFound.title' },
  },
]

export const router = createRouter({
  history: createWebHistory(import.meta.env.BASE_URL),
  routes,
})

/** Where to go after signing in: the page asked for, if it is one of ours. */
export function redirectTarget(route: RouteLocationNormalized): string {
  const target = route.query.redirect
  return typeof target === 'string' && target.startsWith('/') && !target.startsWith('//')
    ? target
    : '/chat'
}

router.beforeEach((to) => {
  const auth = useAuthStore()
  if (!to.meta.public && !auth.isSignedIn) {
    return { name: 'sign-in', query: to.fullPath === '/chat' ? {} : { redirect: to.fullPath } }
  }
  if ((to.name === 'sign-in' || to.name === 'sign-up') && auth.isSignedIn) {
    return redirectTarget(to)
  }
  return true
})
