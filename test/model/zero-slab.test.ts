import {fc, test} from '@fast-check/vitest'
import {describe, expect} from 'vitest'

import {ZeroSlab} from '../../src/typed-arrays.js'

// The timeline's per-process series come from ZeroSlab (src/model/timeline.ts): each must be a zeroed array of
// its own, whatever the length and however many are taken (across slabs).
describe('ZeroSlab', () => {
  test.prop([fc.integer({min: 2, max: 3_000_000}), fc.integer({min: 1, max: 40})], {numRuns: 40})('hands out zeroed arrays of length n that share no element', (n, count) => {
    const slab = new ZeroSlab(n)
    const taken = Array.from({length: count}, () => slab.take())
    for (const [i, a] of taken.entries()) {
      expect(a.length).toBe(n)
      expect(a[0]).toBe(0)
      expect(a[n - 1]).toBe(0)
      // Marks written to this one are seen by no other.
      a[0] = i + 1
      a[n - 1] = -(i + 1)
    }
    for (const [i, a] of taken.entries()) {
      expect(a[0]).toBe(i + 1)
      expect(a[n - 1]).toBe(-(i + 1))
    }
  })
})
