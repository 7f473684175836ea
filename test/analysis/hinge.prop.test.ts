import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {hingeEnd, hingeEndEvery, hingeStart, hingeStartEvery} from '../../src/analysis/hinge.js'

// Series as the detector passes them: epoch-millisecond times at a loop's interval (sometimes a missed
// snapshot), counts that grow, stop, step, stay flat or are noise; long enough that the screened path runs.
const START = Date.UTC(2026, 2, 4, 8)

const series = fc
  .record({
    n: fc.integer({min: 4, max: 1500}),
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

describe('hingeStart', () => {
  it('screens knots to the same knot as fitting every knot', () => {
    fc.assert(
      fc.property(series, ({t, y}) => {
        expect(hingeStart(t, y)).toBe(hingeStartEvery(t, y))
      }),
      {numRuns: 300},
    )
  })

  it('gives the same knot on binned series, repeated and nearly repeated times, times out of order, values not finite', () => {
    fc.assert(
      fc.property(
        series,
        fc.constantFrom('bins', 'repeat', 'near', 'swap', 'nan', 'huge'),
        fc.integer({min: 0, max: 1000}),
        fc.constantFrom(1e-7, 1e-4, 0.1),
        ({t, y}, change, at, tiny) => {
          const n = t.length
          const i = at % n
          if (change === 'bins') {
            // Means of bins, as trendTest passes them: fractional values and times.
            for (let k = 0; k < n; k++) {
              t[k] = t[k]! + (k % 3) * 333.3
              y[k] = y[k]! / 3 + (k % 7) / 7
            }
          } else if (change === 'repeat' && i > 0) t[i] = t[i - 1]!
          // Two knots a hair apart fit almost equally well: the earlier must win as when every knot is fitted.
          else if (change === 'near' && i > 0) for (let k = i; k < n; k++) t[k] = t[k]! - (t[i]! - t[i - 1]!) + tiny
          else if (change === 'swap' && i > 0) [t[i], t[i - 1]] = [t[i - 1]!, t[i]!]
          else if (change === 'nan') y[i] = Number.NaN
          else if (change === 'huge') y[i] = 1e300
          expect(hingeStart(t, y)).toBe(hingeStartEvery(t, y))
        },
      ),
      {numRuns: 300},
    )
  })

  it('keeps the earlier knot of two that fit almost equally: flat counts with rare blips', () => {
    // About one such series in a thousand has two knots within the replacement rule's tolerance.
    fc.assert(
      fc.property(fc.integer({min: 150, max: 300}), fc.integer({min: 0, max: 1000}), fc.double({min: 0.005, max: 0.05, noNaN: true}), fc.integer(), (n, base, p, seed) => {
        let s = seed | 0
        const rand = () => ((s = (Math.imul(s, 1_103_515_245) + 12_345) | 0) >>> 0) / 2 ** 32
        const t = Float64Array.from({length: n}, (_, i) => START + i * 60_000)
        const y = Float64Array.from({length: n}, () => base + (rand() < p ? 1 : 0))
        expect(hingeStart(t, y)).toBe(hingeStartEvery(t, y))
      }),
      {numRuns: 5000},
    )
  })

  it('finds where a leak started growing on a noisy series', () => {
    const n = 200
    const t = Float64Array.from({length: n}, (_, i) => START + i * 60_000)
    const y = Float64Array.from({length: n}, (_, i) => 300 + 3 * Math.max(0, i - 120) + ((i * 7919) % 17) - 8)
    const k = hingeStart(t, y)
    expect(Math.abs(k - 120)).toBeLessThan(6)
    expect(k).toBe(hingeStartEvery(t, y))
  })
})
