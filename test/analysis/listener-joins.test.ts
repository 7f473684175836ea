import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, describe, expect, it} from 'vitest'

import {LISTEN_PER_SLOT, SnapshotAggregator} from '../../src/model/snapshot-aggregator.js'
import type {Finding} from '../../src/model/types.js'
import {runAnalysis} from '../../src/pipeline.js'
import {FAMILIES, renderCounts, type CountLoop} from '../../src/synth/families.js'

const dir = mkdtempSync(join(tmpdir(), 'portleak-listen-'))
afterAll(() => rmSync(dir, {recursive: true, force: true}))

/** Analyzes one generated loop; returns its sawtooth findings' joins. */
async function sawtoothJoins(loop: CountLoop, name: string): Promise<{from: number; to: number; reason: string}[][]> {
  const path = join(dir, name)
  writeFileSync(path, [...renderCounts(loop, 5)].join(''))
  const {document} = await runAnalysis([path], {})
  return document.findings.filter((f: Finding) => f.kind === 'sawtooth-growth').map((f) => f.test?.joins ?? [])
}

describe('restarts joined by their service listener (issue #17)', () => {
  const nameless = FAMILIES.find((f) => f.id === 'sawtooth-nonames')!

  it('joins nameless restarts that listen on the same port, and says so', async () => {
    const loop = nameless.make(3)
    const joins = await sawtoothJoins(loop, 'same-port.txt')
    expect(joins.length).toBeGreaterThan(0)
    const leaker = loop.processes.find((p) => p.name === 'Leaky.exe')!
    expect(joins[0]!.length).toBe(3)
    for (const j of joins[0]!) expect(j.reason).toBe(`same listener port ${leaker.listen[0]} under a new PID`)
  })

  it('does not claim a listener join when every PID listens on its own port', async () => {
    const loop = nameless.make(3)
    const leaker = loop.processes.find((p) => p.name === 'Leaky.exe')!
    // A port per restart: the listener says nothing, the states starting low again still join them.
    const perPid = new Map<number, number>()
    leaker.listen = []
    const renamed: CountLoop = {
      ...loop,
      processes: loop.processes.flatMap((p) => {
        if (p !== leaker) return [p]
        const pids = [...new Set(p.pid)]
        return pids.map((pid, k) => {
          perPid.set(pid, 9100 + k)
          return {...p, pid: Int32Array.from(p.pid, (x) => (x === pid ? x : -1)), listen: [9100 + k]}
        })
      }),
    }
    const joins = await sawtoothJoins(renamed, 'own-port.txt')
    expect(joins.length).toBeGreaterThan(0)
    for (const j of joins[0]!) expect(j.reason).not.toMatch(/listener/)
  })

  it('keeps a few distinct listening ports per process and snapshot', () => {
    const agg = new SnapshotAggregator([])
    const row = (port: number, addr = '0.0.0.0') =>
      agg.connection({proto: 'TCP', localAddr: addr, localPort: port, remoteAddr: addr === '::' ? '::' : '0.0.0.0', remotePort: 0, state: 'LISTENING', pid: 700, process: null, line: 1} as never)
    row(80)
    row(80, '::')
    for (let p = 1000; p < 1010; p++) row(p)
    const s = agg.end()
    const pairs = Array.from(s.listeners ?? [])
    expect(pairs.length).toBe(2 * LISTEN_PER_SLOT)
    expect(pairs.filter((_, i) => i % 2 === 1)).toEqual([80, 1000, 1001, 1002])
    // The next snapshot starts afresh.
    row(443)
    expect(Array.from(agg.end().listeners ?? []).filter((_, i) => i % 2 === 1)).toEqual([443])
  })
})
