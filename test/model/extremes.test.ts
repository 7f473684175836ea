import {describe, expect, it} from 'vitest'

import {maxOf, minOf} from '../../src/model/extremes.js'

describe('maxOf / minOf', () => {
  it('handle series longer than a spread into Math.max can take (a loop sampled several times a second)', () => {
    const series = new Int32Array(500_000)
    series[123_456] = 7
    series[400_000] = -3
    expect(() => Math.max(...series)).toThrow(RangeError)
    expect(maxOf(series)).toBe(7)
    expect(minOf(series)).toBe(-3)
  })

  it('give what Math.max / Math.min give, empty series and a starting value included', () => {
    for (const v of [[], [5], [3, 9, 1], [-4, -2]]) {
      expect(maxOf(v)).toBe(Math.max(...v))
      expect(minOf(v)).toBe(Math.min(...v))
      expect(maxOf(v, 0)).toBe(Math.max(0, ...v))
    }
  })
})
