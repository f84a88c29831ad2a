import { fileURLToPath, URL } from 'node:url'
import vue from '@vitejs/plugin-vue'
import { loadEnv } from 'vite'
import { defineConfig } from 'vitest/config'

// `npm run dev` proxies the API to a backend on MEMADVISOR_API_PORT (default 8000), so the
// browser only ever sees relative URLs, exactly as when the backend serves `dist/` itself.
export default defineConfig(({ mode }) => {
  const env = { ...loadEnv(mode, process.cwd(), 'MEMADVISOR_'), ...process.env }
  const backend = env.MEMADVISOR_API_URL ?? `http://127.0.0.1:${env.MEMADVISOR_API_PORT ?? '8000'}`
  const proxy = {
    '/api': { target: backend, changeOrigin: true },
    '/advisor': { target: backend, changeOrigin: true },
    '/openapi.json': { target: backend, changeOrigin: true },
  }
  return {
    base: '/',
    plugins: [vue()],
    define: {
      // vue-i18n's bundler flags: Composition API only, no devtools in production.
      __VUE_I18N_FULL_INSTALL__: true,
      __VUE_I18N_LEGACY_API__: false,
      __INTLIFY_PROD_DEVTOOLS__: false,
    },
    resolve: {
      alias: { '@': fileURLToPath(new URL('./src', import.meta.url)) },
    },
    server: { proxy },
    preview: { proxy },
    build: {
      outDir: 'dist',
      chunkSizeWarningLimit: 1200,
    },
    test: {
      environment: 'happy-dom',
      include: ['src/**/*.test.ts', 'scripts/**/*.test.ts'],
      restoreMocks: true,
      unstubGlobals: true,
    },
  }
})
