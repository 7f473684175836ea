import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {int} from '../src/numbers.js'

describe('int: counts written as en-US does', () => {
  it("is toLocaleString('en-US') for every safe integer, either sign", () => {
    fc.assert(fc.property(fc.maxSafeInteger(), (v) => int(v) === v.toLocaleString('en-US')), {numRuns: 2000})
    // Lengths where a group boundary falls: 1 to 16 digits.
    for (let d = 1; d <= 16; d++) for (const v of [10 ** (d - 1), 10 ** d - 1, -(10 ** (d - 1))]) if (Number.isSafeInteger(v)) expect(int(v)).toBe(v.toLocaleString('en-US'))
  })

  it('hands any other number to ICU: fractions, −0, past 2^53, NaN and infinities', () => {
    for (const v of [1234.5678, -0.0005, -0, 2 ** 60, -(2 ** 53) - 2, Number.NaN, Infinity, -Infinity, 1e21]) expect(int(v)).toBe(v.toLocaleString('en-US'))
    fc.assert(fc.property(fc.double(), (v) => int(v) === v.toLocaleString('en-US')), {numRuns: 2000})
  })
})
