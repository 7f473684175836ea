import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {SnapshotIds} from '../../src/model/snapshot-ids.js'

describe('SnapshotIds: per-snapshot dense ids for (a, b, c) keys', () => {
  it('hands out ids in the order keys are first met, per snapshot, as a Map would (through growth and stamp wrap-around)', () => {
    const key = fc.tuple(fc.integer({min: -5, max: 5}), fc.integer({min: 0, max: 65536}), fc.integer({min: 0, max: 3}))
    fc.assert(
      fc.property(fc.array(fc.array(key, {maxLength: 300}), {minLength: 1, maxLength: 6}), fc.integer({min: 1, max: 64}), (snapshots, capacity) => {
        const ids = new SnapshotIds(capacity)
        for (const rows of snapshots) {
          ids.begin()
          const model = new Map<string, number>()
          for (const [a, b, c] of rows) {
            const k = `${a},${b},${c}`
            const want = model.get(k) ?? model.size
            expect(ids.find(a, b, c)).toBe(model.get(k) ?? -1)
            expect(ids.id(a, b, c)).toBe(want)
            expect(ids.added).toBe(!model.has(k))
            model.set(k, want)
          }
          expect(ids.size).toBe(model.size)
          for (const [k, d] of model) {
            const [a, b, c] = k.split(',').map(Number) as [number, number, number]
            expect([ids.keyA(d), ids.keyB(d), ids.keyC(d)]).toEqual([a, b, c])
          }
        }
      }),
    )
  })

  it('forgets every key of the snapshot before when it begins another, also when its stamp wraps around', () => {
    const ids = new SnapshotIds(16)
    for (let s = 0; s < 70_000; s++) {
      ids.begin()
      expect(ids.find(7, s & 0xffff, 0)).toBe(-1)
      ids.id(7, s & 0xffff, 0)
      ids.id(7, (s + 1) & 0xffff, 0)
    }
    expect(ids.size).toBe(2)
  })

  it('re-indexes its keys under renumbered first words', () => {
    const ids = new SnapshotIds(4)
    ids.begin()
    for (let d = 0; d < 40; d++) ids.id(d * 2, 443, d % 3)
    const map = new Int32Array(80).fill(-1)
    for (let d = 0; d < 40; d++) map[d * 2] = 100 + d
    ids.rekeyA(map)
    for (let d = 0; d < 40; d++) {
      expect(ids.find(100 + d, 443, d % 3)).toBe(d)
      expect(ids.find(d * 2, 443, d % 3)).toBe(d * 2 === 100 + d ? d : -1)
    }
  })
})
