import {fc, test} from '@fast-check/vitest'
import {describe, expect, it} from 'vitest'

import type {SnapshotSummary} from '../../src/model/snapshot-aggregator.js'
import {EMPTY_RECORD, SummaryStore} from '../../src/model/summary-store.js'

/** Counter quads as the aggregator makes them: a process's counters together, mostly sharing count and line. */
const quads = fc
  .array(fc.record({slot: fc.nat({max: 999}), line: fc.nat({max: 5_000_000}), counters: fc.uniqueArray(fc.nat({max: 17}), {minLength: 1, maxLength: 5}), count: fc.integer({min: 1, max: 3000})}), {maxLength: 120})
  .map((procs) => Int32Array.from(procs.flatMap((p) => p.counters.sort((a, b) => a - b).flatMap((c, k) => [p.slot, c, p.count + k, p.line]))))
const ADDRS = ['10.0.0.5', '::1', '0.0.0.0', '', 'fe80::1%4', '192.168.1.20']
/** A summary; some with arrays longer than a shared chunk takes (the busiest endpoints of 3,000 peers). */
const summary: fc.Arbitrary<SnapshotSummary> = fc.record({
  rows: fc.nat({max: 2_000_000}),
  counts: quads,
  ranges: fc.nat({max: 4}),
  ephemeral: fc.array(fc.nat({max: 16_384}), {minLength: 4, maxLength: 4}),
  addrs: fc.array(fc.constantFrom(...ADDRS), {minLength: 4, maxLength: 4}),
  remotes: fc.oneof({weight: 12, arbitrary: fc.array(fc.tuple(fc.nat({max: 4999}), fc.integer({min: 3, max: 9000}), fc.integer({min: -1, max: 999})), {maxLength: 40})}, {weight: 1, arbitrary: fc.array(fc.tuple(fc.nat({max: 4999}), fc.nat(), fc.integer({min: -1, max: 999})), {minLength: 3000, maxLength: 3000})}),
  listeners: fc.option(fc.array(fc.tuple(fc.nat({max: 999}), fc.integer({min: 1, max: 65535})), {minLength: 1, maxLength: 30}), {nil: undefined}),
  tw: fc.array(fc.nat({max: 100_000}), {minLength: 4, maxLength: 4}),
}).map(({rows, counts, ranges, ephemeral, addrs, remotes, listeners, tw}) => ({
  rows,
  counts,
  ephemeral: Int32Array.from(ephemeral.slice(0, ranges)),
  ephemeralAddr: addrs.slice(0, ranges),
  remotes: Int32Array.from(remotes.flat()),
  timeWait: {owner: tw[0]!, lineage: tw[1]!, 'remote-affinity': tw[2]!, unattributed: tw[3]!},
  ...(listeners ? {listeners: Int32Array.from(listeners.flat())} : {}),
}))

describe('the summary store', () => {
  test.prop([fc.array(summary, {maxLength: 60})], {numRuns: 60})('gives back every summary it keeps, field by field', (list) => {
    const store = new SummaryStore()
    const ids = list.map((s) => store.add(s))
    expect(new Set(ids).size).toBe(list.length)
    ids.forEach((id, k) => {
      const s = list[k]!
      expect(store.read(id)).toEqual(s)
      expect(store.rows(id)).toBe(s.rows)
      expect([...store.remotes(id)]).toEqual([...s.remotes])
      for (let r = 0; r < 6; r++) {
        expect(store.ephemeral(id, r)).toBe(s.ephemeral[r] ?? 0)
        expect(store.ephemeralAddr(id, r)).toBe(s.ephemeralAddr[r] ?? '')
      }
    })
    expect(store.read(EMPTY_RECORD)).toEqual({rows: 0, counts: new Int32Array(0), ephemeral: new Int32Array(0), ephemeralAddr: [], remotes: new Int32Array(0), timeWait: {owner: 0, lineage: 0, 'remote-affinity': 0, unattributed: 0}})
  })

  test.prop([fc.array(fc.array(summary, {maxLength: 12}), {minLength: 1, maxLength: 6}), fc.nat({max: 10_000_000}), fc.array(fc.boolean(), {minLength: 6, maxLength: 6})], {numRuns: 40})(
    "moves a worker's blocks into a case renumbered: slots, endpoints and lines",
    (batches, lineOffset, clears) => {
      // The worker sends each batch and may then empty its store (a worker does once no snapshot names a record);
      // it held a priming snapshot's summary first, whose addresses it met first. The case holds summaries already.
      const worker = new SummaryStore()
      worker.add({...EMPTY, ephemeral: Int32Array.of(1, 2, 3), ephemeralAddr: ['192.168.1.20', 'fe80::1%4', '::1']})
      const parent = new SummaryStore()
      parent.add(batches[0]![0] ?? EMPTY)
      const slots = Int32Array.from({length: 1000}, (_, i) => (i * 7919) % 1009)
      const endpoint = (e: number) => 100_000 + e * 3
      const remap = {slots, lineOffset}
      const first = parent.size
      let k = 0
      for (const batch of batches) {
        const block = worker.block(batch.map((s) => worker.add(s)))
        if (clears[k++]) worker.clear()
        parent.absorb(block, remap, endpoint)
      }
      const all = batches.flat()
      expect(parent.size - first).toBe(all.length)
      all.forEach((s, k) => {
        const got = parent.read(first + k)
        const expected: SnapshotSummary = {
          ...s,
          counts: s.counts.map((v, i) => (i % 4 === 0 ? slots[v]! : i % 4 === 3 ? v + lineOffset : v)),
          remotes: s.remotes.map((v, i) => (i % 3 === 0 ? endpoint(v) : i % 3 === 2 && v >= 0 ? slots[v]! : v)),
          ...(s.listeners ? {listeners: s.listeners.map((v, i) => (i % 2 === 0 ? slots[v]! : v))} : {}),
        }
        expect(got).toEqual(expected)
      })
    },
  )

  it('starts again from the empty record once cleared, and keeps what it gets after', () => {
    const store = new SummaryStore()
    const a = store.add({...EMPTY, rows: 5, ephemeral: Int32Array.of(7), ephemeralAddr: ['10.0.0.5']})
    store.clear()
    expect(store.size).toBe(1)
    const b = store.add({...EMPTY, rows: 6, ephemeral: Int32Array.of(9), ephemeralAddr: ['::1']})
    expect(b).toBe(a)
    expect(store.read(b)).toMatchObject({rows: 6, ephemeralAddr: ['::1']})
    expect(store.ephemeral(b, 0)).toBe(9)
  })
})

const EMPTY: SnapshotSummary = {rows: 0, counts: new Int32Array(0), ephemeral: new Int32Array(0), ephemeralAddr: [], remotes: new Int32Array(0), timeWait: {owner: 0, lineage: 0, 'remote-affinity': 0, unattributed: 0}}
