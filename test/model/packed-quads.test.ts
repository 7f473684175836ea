import {fc, test} from '@fast-check/vitest'
import {describe, expect, it} from 'vitest'

import {ByteArena, packQuads, quadsOf, type StoredSummary, unpackQuads} from '../../src/model/packed-quads.js'
import {EMPTY_SUMMARY} from '../../src/model/snapshot-aggregator.js'

const int32 = fc.integer({min: -(2 ** 31), max: 2 ** 31 - 1})
/** Quads as the aggregator makes them: a process's counters together, mostly sharing their count and first line. */
const realistic = fc.array(
  fc.record({slot: fc.nat({max: 100_000}), line: fc.nat({max: 5_000_000}), counters: fc.uniqueArray(fc.nat({max: 17}), {minLength: 1, maxLength: 5}), count: fc.integer({min: 1, max: 3000}), varied: fc.boolean()}),
  {maxLength: 300},
).map((procs) => procs.flatMap((p) => p.counters.sort((a, b) => a - b).flatMap((c, k) => [p.slot, c, p.varied ? p.count + k : p.count, p.varied ? p.line + k * 3 : p.line])))

describe('packed counter quads', () => {
  test.prop([fc.array(fc.tuple(int32, fc.nat({max: 31}), int32, int32), {maxLength: 200})])('give back any quads they were given', (quads) => {
    const q = Int32Array.from(quads.flat())
    expect(unpackQuads(packQuads(q))).toEqual(q)
  })

  test.prop([realistic])('take a third or less of four words a quad on realistic quads', (words) => {
    const q = Int32Array.from(words)
    const packed = packQuads(q)
    expect(unpackQuads(packed)).toEqual(q)
    // A process's counters past its first share slot, and mostly count and line: 16 bytes a quad unpacked.
    if (q.length >= 40) expect(packed.length).toBeLessThan((q.length / 4) * 16 * 0.5)
  })

  test.prop([realistic, fc.integer({min: 0, max: 1_000_000})])('from a worker are renumbered and shifted as they are unpacked', (words, offset) => {
    const q = Int32Array.from(words)
    const slots = Int32Array.from({length: 100_001}, (_, i) => (i * 7919) % 100_003)
    const expected = q.map((v, i) => (i % 4 === 0 ? slots[v]! : i % 4 === 3 ? v + offset : v))
    const {counts: _, ...rest} = EMPTY_SUMMARY
    const s: StoredSummary = {...rest, packed: packQuads(q), remap: {slots, lineOffset: offset}}
    expect(quadsOf(s)).toEqual(expected)
    expect(quadsOf({...s, remap: undefined})).toEqual(q)
  })

  it('refuse a counter past five bits rather than mangle it', () => {
    expect(() => packQuads(Int32Array.from([1, 32, 1, 1]))).toThrow(/counter 32/)
  })

  it('are kept apart in one arena, and a large one in a buffer of its own', () => {
    const arena = new ByteArena(64)
    const a = arena.keep(packQuads([1, 2, 3, 4]))
    const b = arena.keep(packQuads([5, 6, 7, 8, 5, 7, 7, 8]))
    expect(a.buffer).toBe(b.buffer)
    expect([...unpackQuads(a)]).toEqual([1, 2, 3, 4])
    expect([...unpackQuads(b)]).toEqual([5, 6, 7, 8, 5, 7, 7, 8])
    const big = arena.keep(packQuads(Array.from({length: 40}, (_, i) => (i % 4 === 1 ? 3 : i * 1000))))
    expect(big.buffer).not.toBe(a.buffer)
    expect(unpackQuads(big)[4]).toBe(4000)
  })
})
