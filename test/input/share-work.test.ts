import {Worker} from 'node:worker_threads'

import {describe, expect, it} from 'vitest'

import {keepForSharing, type SharedJob, shareWork} from '../../src/input/parallel.js'

// A kept worker as parallel-worker.ts runs it after its range, answering `share` with a function of each job
// (here the sum of its values; `shareWork`'s own `local` must be the same function), or never answering.
const sharing = (answer: boolean) => `
const {parentPort} = require('node:worker_threads')
parentPort.on('message', (m) => {
  if (m.kind !== 'share') return
  m.port.on('message', (jobs) => {
    if (!${answer}) return
    m.port.postMessage(jobs.map((j) => j.v.reduce((a, b) => a + b, 0) + (j.load ? 0.5 : 0)))
    Atomics.store(m.flag, 0, 1)
    Atomics.notify(m.flag, 0)
  })
})`

const local = (j: SharedJob) => j.v.reduce((a, b) => a + b, 0) + (j.load ? 0.5 : 0)

// Series of different lengths (the heaviest go to the worker first), some with a load.
const jobs: SharedJob[] = Array.from({length: 9}, (_, k) => {
  const n = 10 + ((k * 37) % 50)
  return {
    t: Float64Array.from({length: n}, (_, i) => 1_700_000_000_000 + i * 60_000),
    v: Float64Array.from({length: n}, (_, i) => (i * (k + 3)) % 17),
    load: k % 3 === 0 ? new Float64Array(n).fill(1) : null,
  }
})

const ready = (w: Worker) => new Promise<void>((resolve) => w.once('online', () => resolve()))

describe('shareWork', () => {
  it('runs every job once, here or in the kept worker, and returns the results in job order', async () => {
    expect(shareWork(jobs, local)).toEqual(jobs.map(local))
    const w = new Worker(sharing(true), {eval: true})
    await ready(w)
    expect(keepForSharing(w)).toBe(true)
    // Only one worker is kept.
    const other = new Worker(sharing(true), {eval: true})
    expect(keepForSharing(other)).toBe(false)
    await other.terminate()
    // The worker gets a share: results it sums differ from ours when the local function is another.
    const mine = (j: SharedJob) => local(j) + 1000
    const mixed = shareWork(jobs, mine)
    const fromWorker = mixed.filter((r, i) => r === local(jobs[i]!)).length
    expect(fromWorker).toBeGreaterThan(0)
    expect(fromWorker).toBeLessThan(jobs.length)
    expect(shareWork(jobs, local)).toEqual(jobs.map(local))
    await w.terminate()
  })

  it('runs the share of a worker that does not answer here, and stops using it', async () => {
    const w = new Worker(sharing(false), {eval: true})
    await ready(w)
    // The kept worker of the test before was ended without shareWork knowing: it is dropped on its first silence.
    shareWork(jobs, local)
    expect(keepForSharing(w)).toBe(true)
    const t0 = Date.now()
    expect(shareWork(jobs, local)).toEqual(jobs.map(local))
    expect(Date.now() - t0).toBeLessThan(30_000)
    // Dropped: another worker can be kept now.
    const next = new Worker(sharing(true), {eval: true})
    await ready(next)
    expect(keepForSharing(next)).toBe(true)
    expect(shareWork(jobs, local)).toEqual(jobs.map(local))
    await next.terminate()
  }, 60_000)
})
