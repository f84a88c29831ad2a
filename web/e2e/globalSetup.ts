// Starts what the browser talks to: `memadvisor serve` on a free port with a fresh data folder,
// serving the built `dist/`. If that backend does not serve the app, `vite preview` serves it
// and proxies /api to the backend. Both are stopped (by their own pids) when the run ends.
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { TestProject } from 'vitest/node'

const webDir = resolve(fileURLToPath(new URL('..', import.meta.url)))
const repoDir = resolve(webDir, '..')
const distDir = join(webDir, 'dist')
const memadvisor = process.env.MEMADVISOR_BIN ?? join(repoDir, '.venv', 'bin', 'memadvisor')

declare module 'vitest' {
  export interface ProvidedContext {
    baseURL: string
  }
}

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer()
    server.unref()
    server.on('error', fail)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => (typeof address === 'object' && address ? done(address.port) : fail()))
    })
  })
}

async function waitFor(url: string, child: ChildProcess, seconds: number): Promise<Response> {
  const deadline = Date.now() + seconds * 1000
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${url}: the server exited (${child.exitCode})`)
    try {
      const response = await fetch(url)
      if (response.ok) return response
    } catch {
      // not listening yet
    }
    await new Promise((wait) => setTimeout(wait, 300))
  }
  throw new Error(`${url} did not answer within ${seconds} s`)
}

function start(command: string, args: string[], env: NodeJS.ProcessEnv, cwd: string, log: string[]) {
  const child = spawn(command, args, { cwd, env: { ...process.env, ...env }, stdio: 'pipe' })
  const keep = (chunk: Buffer) => {
    log.push(chunk.toString())
    if (log.length > 200) log.shift()
  }
  child.stdout?.on('data', keep)
  child.stderr?.on('data', keep)
  return child
}

function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.pid === undefined) return Promise.resolve()
  return new Promise((done) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
    child.once('exit', () => {
      clearTimeout(timer)
      done()
    })
    child.kill('SIGTERM')
  })
}

/** The typed client follows the committed openapi.json: say so when the backend has moved on. */
async function warnIfSchemaChanged(backendURL: string): Promise<void> {
  const live = await (await fetch(`${backendURL}/openapi.json`)).json()
  const snapshot = JSON.parse(readFileSync(join(webDir, 'openapi.json'), 'utf8'))
  if (JSON.stringify(live) !== JSON.stringify(snapshot)) {
    console.warn(
      'e2e: the backend\'s OpenAPI schema differs from web/openapi.json; run ' +
        '`MEMADVISOR_API_URL=<backend> npm run gen:api` and check `npm run typecheck`.',
    )
  }
}

export default async function setup(project: TestProject) {
  if (!existsSync(join(distDir, 'index.html'))) throw new Error('dist/ is missing: run `npm run build`')
  if (!existsSync(memadvisor)) throw new Error(`${memadvisor} is missing: set up the backend venv`)

  const dataDir = mkdtempSync(join(tmpdir(), 'memadvisor-e2e-'))
  const backendLog: string[] = []
  const previewLog: string[] = []
  let backend: ChildProcess | undefined
  let preview: ChildProcess | undefined

  try {
    const backendPort = await freePort()
    const backendURL = `http://127.0.0.1:${backendPort}`
    backend = start(
      memadvisor,
      ['serve', '--port', String(backendPort)],
      {
        MEMADVISOR_ENV: 'development',
        MEMADVISOR_DATA_DIR: dataDir,
        MEMADVISOR_WEB_DIST: distDir,
        MEMADVISOR_LLM_PROVIDER: 'llamacpp',
        MEMADVISOR_DEV_USER: '',
        HF_HUB_OFFLINE: '1',
        ANONYMIZED_TELEMETRY: 'False',
        LANGSMITH_TRACING: 'false',
      },
      dataDir, // not the repo: a developer's .env must not change the test
      backendLog,
    )
    await waitFor(`${backendURL}/api/health`, backend, 150)

    await warnIfSchemaChanged(backendURL)

    let baseURL = backendURL
    const page = await (await fetch(`${backendURL}/chat`)).text()
    if (!page.includes('<div id="app">')) {
      // This backend does not serve the web app yet: let Vite serve dist/ in front of it.
      const previewPort = await freePort()
      preview = start(
        join(webDir, 'node_modules', '.bin', 'vite'),
        ['preview', '--port', String(previewPort), '--strictPort', '--host', '127.0.0.1'],
        { MEMADVISOR_API_URL: backendURL },
        webDir,
        previewLog,
      )
      baseURL = `http://127.0.0.1:${previewPort}`
      await waitFor(`${baseURL}/`, preview, 30)
    }
    console.log(`e2e: app at ${baseURL} (backend ${backendURL}, data ${dataDir})`)
    project.provide('baseURL', baseURL)
  } catch (error) {
    console.error(backendLog.join('') + previewLog.join(''))
    await stop(preview)
    await stop(backend)
    rmSync(dataDir, { recursive: true, force: true })
    throw error
  }

  return async () => {
    await stop(preview)
    await stop(backend)
    if (process.env.E2E_SHOW_LOG) console.log(backendLog.join(''))
    rmSync(dataDir, { recursive: true, force: true })
  }
}
