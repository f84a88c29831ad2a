// A fake backend for store and composable tests: routes "METHOD /path" to handlers, installed as
// the global fetch that the app's API client uses.
import { vi } from 'vitest'

type Handler = (request: Request, url: URL) => Response | Promise<Response>

export function installFakeServer(routes: Record<string, Handler>) {
  const requests: Request[] = []
  const fetch = vi.fn(async (input: RequestInfo | URL) => {
    const request = input as Request
    requests.push(request)
    const url = new URL(request.url)
    const handler = routes[`${request.method} ${url.pathname}`]
    if (!handler) return new Response(JSON.stringify({ detail: 'Not found.' }), { status: 404 })
    return handler(request, url)
  })
  vi.stubGlobal('fetch', fetch)
  return { fetch, requests }
}
