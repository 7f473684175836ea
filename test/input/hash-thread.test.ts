import {spawnSync} from 'node:child_process'
import {createHash} from 'node:crypto'
import {appendFileSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {gzipSync} from 'node:zlib'

import {describe, expect, inject, it} from 'vitest'

import {cliBin, loopText, tempFiles} from '../helpers/run.js'

const ROOT_DIR = new URL('../../', import.meta.url).pathname
const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex')

/** A loop of a few MB (several of the hash thread's 4 MiB chunks), its snapshots one minute apart. */
function loop(snapshots: number, seed: number): string {
  return loopText({
    seed,
    snapshots,
    interval: 60,
    jitter: 2,
    start: new Date(Date.UTC(2024, 4, 2, 8, 0, 0)),
    processes: [
      {pid: 1712, name: 'svchost.exe', listen: [135], behaviour: {kind: 'steady', established: 60, noise: 10, timeWaitChurn: 20}},
      {pid: 2200, name: 'backup.exe', behaviour: {kind: 'timewait-leak', perMinute: 12, growthPerHour: 40, remote: '10.0.0.60:443'}},
    ],
    background: 20,
  })
}

/** The built CLI with the split (and early digest) threshold at `min` bytes. */
function cli(args: string[], min = 1000): {status: number | null; stdout: string; stderr: string} {
  const env = {...process.env, PORTLEAK_PARALLEL_MIN: String(min), PORTLEAK_THREADS: ''}
  return spawnSync('node', [cliBin(), ...args], {cwd: ROOT_DIR, env, encoding: 'utf8', timeout: 240_000})
}

type Inputs = {inputs: {path: string; sha256: string; bytes: number}[]}

describe('the digest of a large input, started before the CLI loads', () => {
  it('is the file’s SHA-256 when the loop is read by workers: analyze, inspect, and two loops at once', () => {
    const [big, small] = tempFiles({'big.txt': loop(700, 3), 'small.txt': loop(300, 4)})
    expect(readFileSync(big!).length).toBeGreaterThan(12 << 20)
    for (const args of [['analyze', '--json', big!], ['inspect', '--json', big!], ['inspect', '--json', small!, big!]]) {
      const r = cli(args)
      expect(r.status, r.stderr).toBe(0)
      const doc = JSON.parse(r.stdout) as Inputs
      const inputs = 'inputs' in doc ? doc.inputs : []
      expect(inputs.length).toBe(args.length - 2)
      for (const input of inputs) {
        const file = input.path.endsWith('big.txt') ? big! : small!
        expect(input.sha256).toBe(sha256(file))
        expect(input.bytes).toBe(readFileSync(file).length)
      }
    }
  })

  it('is stopped for an input read another way (gzip: its digest is of the bytes inside), still right', () => {
    const text = loop(700, 5)
    const [gz] = tempFiles({'loop.txt.gz': gzipSync(text, {level: 1})})
    const r = cli(['inspect', '--json', gz!], 1000)
    expect(r.status, r.stderr).toBe(0)
    expect((JSON.parse(r.stdout) as Inputs).inputs[0]!.sha256).toBe(createHash('sha256').update(text).digest('hex'))
  })

  it('is taken over running, held and resumed with the same result, and not taken for a file changed since', async () => {
    const mod = (await import(join(inject('cliRoot'), 'dist/input/hash-thread.js'))) as typeof import('../../src/input/hash-thread.js')
    const [file, other] = tempFiles({'a.txt': loop(500, 6), 'b.txt': loop(300, 7)})
    const before = process.env.PORTLEAK_PARALLEL_MIN
    process.env.PORTLEAK_PARALLEL_MIN = '1000'
    try {
      const waiting = (p: Promise<unknown>, ms: number) => Promise.race([p, new Promise((r) => setTimeout(() => r('waiting'), ms))])
      // The largest file named, taken over: it resolves without `go`, which a thread started by hashInWorker waits for.
      mod.hashEarly(['analyze', '--json', other!, file!])
      const taken = mod.hashInWorker(file!)
      expect(await waiting(taken.result, 30_000)).toEqual({sha256: sha256(file!), bytes: readFileSync(file!).length})
      // Held (before its first chunk here), it waits; resumed, it gives the same digest.
      mod.hashEarly(['analyze', file!])
      const held = mod.hashInWorker(file!)
      held.pause()
      expect(await waiting(held.result, 300)).toBe('waiting')
      held.go()
      expect((await held.result).sha256).toBe(sha256(file!))
      // Changed after it started: a new thread, waiting for `go`, hashes the file as it is now.
      mod.hashEarly(['inspect', file!])
      appendFileSync(file!, loop(2, 8))
      const fresh = mod.hashInWorker(file!)
      expect(await waiting(fresh.result, 300)).toBe('waiting')
      fresh.go()
      expect((await fresh.result).sha256).toBe(sha256(file!))
      // Not a command that reads inputs, or too small a file: nothing starts early.
      mod.hashEarly(['formats', file!])
      const later = mod.hashInWorker(file!)
      expect(await waiting(later.result, 300)).toBe('waiting')
      later.cancel()
      // A hold after the stop does not leave the thread waiting.
      later.pause()
      expect((await later.result).bytes).toBe(0)
      mod.dropEarly()
    } finally {
      if (before === undefined) delete process.env.PORTLEAK_PARALLEL_MIN
      else process.env.PORTLEAK_PARALLEL_MIN = before
    }
  })
})
