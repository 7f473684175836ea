import {fc, test} from '@fast-check/vitest'
import {describe, expect, it} from 'vitest'

import {packQuads, unpackQuads} from '../../src/model/packed-quads.js'
import {Scratch} from '../../src/typed-arrays.js'

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

  test.prop([realistic, realistic, fc.integer({min: -1_000_000, max: 1_000_000})])(
    'renumber slots and shift lines as they are unpacked into a reused buffer',
    (first, second, lineOffset) => {
      const slots = Int32Array.from({length: 100_001}, (_, i) => (i * 7919) % 100_003)
      const into = new Scratch(Int32Array)
      // The longer one first: the second unpack reuses (and must not read past) what the first left.
      for (const words of [first, second].sort((a, b) => b.length - a.length)) {
        const q = Int32Array.from(words)
        const want = q.map((v, i) => (i % 4 === 0 ? slots[v]! : i % 4 === 3 ? v + lineOffset : v))
        expect(unpackQuads(packQuads(q), into, {slots, lineOffset})).toEqual(want)
      }
    },
  )

  it('refuse a counter past five bits rather than mangle it', () => {
    expect(() => packQuads(Int32Array.from([1, 32, 1, 1]))).toThrow(/counter 32/)
  })
})
