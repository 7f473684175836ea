import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {hingeEnd, hingeEndEvery} from '../../src/analysis/hinge.js'

// Series as the detector passes them: epoch-millisecond times at a loop's interval (sometimes a missed
// snapshot), counts that grow, stop, step, stay flat or are noise; long enough that the screened path runs.
const START = Date.UTC(2026, 2, 4, 8)

const series = fc
  .record({
    n: fc.integer({min: 5, max: 1500}),
    interval: fc.constantFrom(1_000, 10_000, 60_000, 300_000),
    shape: fc.constantFrom('grow', 'grow-stop', 'flat', 'step', 'noise', 'sawtooth', 'blips'),
    slope: fc.double({min: 0, max: 5, noNaN: true}),
    noise: fc.double({min: 0, max: 50, noNaN: true}),
    stopAt: fc.double({min: 0.1, max: 0.9, noNaN: true}),
    base: fc.integer({min: 0, max: 20_000}),
    gaps: fc.integer({min: 0, max: 20}),
    seed: fc.integer(),
  })
  .map(({n, interval, shape, slope, noise, stopAt, base, gaps, seed}) => {
    let s = seed | 0
    const rand = () => ((s = (Math.imul(s, 1_103_515_245) + 12_345) | 0) >>> 0) / 2 ** 32
    const t = new Float64Array(n)
    const y = new Float64Array(n)
    let at = START
    for (let i = 0; i < n; i++) {
      at += interval * (gaps > 0 && rand() < gaps / 1000 ? 2 : 1)
      t[i] = at
      const k = shape === 'grow-stop' ? Math.min(i, Math.floor(stopAt * n)) : i
      const trend = shape === 'flat' || shape === 'noise' ? 0 : shape === 'step' ? (i > stopAt * n ? 100 : 0) : shape === 'sawtooth' ? (i % 97) * slope : k * slope
      // Blips: a flat count that now and then is one more (near-ties between many knots).
      const jitter = shape === 'flat' ? 0 : shape === 'blips' ? (rand() < 0.02 ? 1 : 0) : (rand() - 0.5) * 2 * noise
      y[i] = Math.max(0, Math.round(base + trend + jitter))
    }
    return {t, y}
  })

describe('hingeEnd', () => {
  it('screens knots to the same result, to the bit, as fitting every knot', () => {
    fc.assert(
      fc.property(series, ({t, y}) => {
        expect(hingeEnd(t, y)).toEqual(hingeEndEvery(t, y))
      }),
      {numRuns: 300},
    )
  })

  it('finds where a long leak stopped growing', () => {
    const n = 6000
    const t = Float64Array.from({length: n}, (_, i) => START + i * 60_000)
    const y = Float64Array.from({length: n}, (_, i) => 200 + 2 * Math.min(i, 4000) + ((i * 7919) % 13) - 6)
    const end = hingeEnd(t, y)
    expect(Math.abs(end.index - 4000)).toBeLessThan(20)
    expect(end.slope * 60_000).toBeCloseTo(2, 1)
    expect(end.f).toBeGreaterThan(100)
    expect(end).toEqual(hingeEndEvery(t, y))
  })
})
