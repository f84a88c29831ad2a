import { describe, expect, it } from 'vitest'
import { useRequest } from './useRequest'

function deferred<T>() {
  let resolve!: (value: T) => void
  let reject!: (error: unknown) => void
  const promise = new Promise<T>((done, fail) => {
    resolve = done
    reject = fail
  })
  return { promise, resolve, reject }
}

describe('useRequest', () => {
  it('is loading, then holds the data', async () => {
    const answer = deferred<string[]>()
    const request = useRequest(() => answer.promise)
    const running = request.run()
    expect(request.loading.value).toBe(true)
    answer.resolve(['a'])
    await expect(running).resolves.toEqual(['a'])
    expect(request.data.value).toEqual(['a'])
    expect(request.loading.value).toBe(false)
    expect(request.error.value).toBeNull()
  })

  it('keeps the error, and clears it on the next run', async () => {
    let fail = true
    const request = useRequest(async () => {
      if (fail) throw new Error('down')
      return 1
    })
    await expect(request.run()).resolves.toBeNull()
    expect(request.error.value).toBeInstanceOf(Error)
    fail = false
    await request.run()
    expect(request.error.value).toBeNull()
    expect(request.data.value).toBe(1)
  })

  it('lets only the latest run decide, whatever order the answers come in', async () => {
    const answers = [deferred<string>(), deferred<string>()]
    const request = useRequest((n: number) => answers[n]!.promise)
    const first = request.run(0)
    const second = request.run(1)
    answers[1]!.resolve('new')
    await second
    answers[0]!.resolve('old')
    await expect(first).resolves.toBeNull()
    expect(request.data.value).toBe('new')
    expect(request.loading.value).toBe(false)
  })
})
