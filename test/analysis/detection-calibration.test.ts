import {describe, expect, it} from 'vitest'

import {fisherCombine, scanSeries} from '../../src/analysis/scan.js'
import {trendTest} from '../../src/analysis/stats-trend.js'
import {FAMILIES, noise, type NoiseKind} from '../../src/synth/families.js'
import {prng} from '../../src/synth/loop.js'
import {runFamily} from '../../src/synth/monte-carlo.js'

const KINDS: NoiseKind[] = ['iid', 'poisson', 'bursts', 'ar05', 'ar09']
const minutes = (n: number) => Float64Array.from({length: n}, (_, i) => i * 60_000)

/** Share of trend-free series of length n (all noise kinds pooled) that the test alone calls increasing at 5 %. */
function falseAlarms(n: number, reps: number, seed: number): number {
  let hits = 0
  let runs = 0
  for (const kind of KINDS) {
    const r = prng(seed * 1000 + n * 7 + KINDS.indexOf(kind))
    for (let k = 0; k < reps; k++) {
      const v = Float64Array.from(noise(r, kind, n, 20), (x) => Math.round(60 + 10 * x))
      if (trendTest(minutes(n), v).checks.trend) hits++
      runs++
    }
  }
  return hits / runs
}

describe('detector calibration (docs/detection.md)', () => {
  // 5 kinds × 120 runs: the binomial standard error at 5 % is 0.9 points; 8 % is over three of them.
  it.each([12, 30, 60, 120])('the trend test alone holds its 5 %% level on generated noise, %i snapshots', (n) => {
    expect(falseAlarms(n, 120, 3)).toBeLessThan(0.08)
  })

  it('pays for choosing a window: Bonferroni over the windows tested', () => {
    const r = prng(9)
    const n = 60
    const v = Float64Array.from(noise(r, 'iid', n, 0), (x, i) => 40 + 3 * x + (i > 36 ? 1.5 * (i - 36) : 0))
    const s = scanSeries(minutes(n), v, null)
    expect(s.increasing).toBe(true)
    expect(s.windows).toBeGreaterThan(1)
    expect(s.p).toBeCloseTo(Math.min(1, s.best.p * s.windows), 12)
  })

  it('does not call a series rising with the host load a leak', () => {
    const n = 90
    const r = prng(4)
    const load = Float64Array.from({length: n}, (_, i) => (i < 45 ? 1 : 1.6))
    const v = Float64Array.from(noise(r, 'iid', n, 0), (x, i) => 50 * load[i]! + 3 * x)
    expect(scanSeries(minutes(n), v, null).increasing).toBe(true)
    const s = scanSeries(minutes(n), v, load)
    expect(s.best.loadAdjusted || s.p === 1).toBe(true)
    expect(s.p).toBeGreaterThan(0.01)
  })

  it("combines independent p-values by Fisher's method", () => {
    expect(fisherCombine([1, 1])).toBeCloseTo(1, 12)
    expect(fisherCombine([0.05])).toBeCloseTo(0.05, 12)
    // χ²(4) tail at −2 ln(0.01 · 0.02) = 17.03: 0.00190.
    expect(fisherCombine([0.01, 0.02])).toBeCloseTo(0.0019, 4)
  })

  const family = (id: string) => FAMILIES.find((f) => f.id === id)!
  it('small Monte Carlo through the whole pipeline: quiet on healthy servers, names the leakers', async () => {
    for (const id of ['iid', 'ar-0.9', 'daily-cycle', 'busy-hour']) {
      const row = await runFamily(family(id), 3, 101)
      expect(row.anyGrowth, id).toBe(0)
    }
    for (const id of ['leak-CLOSE_WAIT-0.1', 'late-60pc', 'sawtooth-nonames']) {
      const row = await runFamily(family(id), 2, 101)
      expect(row.found, id).toBe(1)
      expect(row.wrong, id).toBe(0)
    }
    const stopped = await runFamily(family('stopped-half'), 2, 101)
    expect(stopped.stoppedReported).toBe(1)
  }, 120_000)
})
