import {describe, expect, it} from 'vitest'

import {
  averageRanks,
  benjaminiHochberg,
  binByTime,
  hamedRaoFactor,
  mannKendall,
  median,
  normalCdf,
  normalQuantile,
  normalSf,
  pettitt,
  rollingFloorAcf,
  rollingMin,
  senSlope,
  trendTest,
} from '../../src/analysis/stats.js'
import {scanSeries} from '../../src/analysis/scan.js'

const MIN = 60_000
const HOUR = 3_600_000
const DAY = 24 * HOUR
const T0 = Date.UTC(2026, 0, 5, 8, 0, 0)

/** Seeded uniform PRNG (mulberry32) so every run sees the same "random" series. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Seeded standard normal deviates (Box-Muller). */
function gaussian(seed: number): () => number {
  const uniform = mulberry32(seed)
  return () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform())
}

/** A regularly sampled series of port counts: `value(ms since start)`, rounded and never negative. */
function sampled(count: number, stepMs: number, value: (dt: number) => number): {t: Float64Array; v: Float64Array} {
  const t = new Float64Array(count)
  const v = new Float64Array(count)
  for (let i = 0; i < count; i++) {
    t[i] = T0 + i * stepMs
    v[i] = Math.max(0, Math.round(value(i * stepMs)))
  }
  return {t, v}
}

describe('normalCdf', () => {
  it('matches reference values of the standard normal distribution to 1e-7', () => {
    expect(normalCdf(0)).toBeCloseTo(0.5, 7)
    expect(normalCdf(1.96)).toBeCloseTo(0.9750021048517795, 7)
    expect(normalCdf(-3)).toBeCloseTo(0.0013498980316300933, 9)
  })

  it('keeps relative precision far in the tails', () => {
    expect(Math.abs(normalSf(6) / 9.865876450376946e-10 - 1)).toBeLessThan(2e-7)
    expect(Math.abs(normalCdf(-8) / 6.22096057427174e-16 - 1)).toBeLessThan(2e-7)
    expect(normalCdf(Number.POSITIVE_INFINITY)).toBe(1)
    expect(normalCdf(Number.NEGATIVE_INFINITY)).toBe(0)
  })

  it('is inverted by normalQuantile', () => {
    expect(normalQuantile(0.975)).toBeCloseTo(1.959963984540054, 8)
    expect(normalQuantile(0.001)).toBeCloseTo(-3.090232306167813, 8)
    for (const p of [1e-9, 0.01, 0.2, 0.5, 0.8, 0.999]) expect(normalCdf(normalQuantile(p)) / p).toBeCloseTo(1, 6)
  })
})

describe('averageRanks and median', () => {
  it('gives tied values their average rank', () => {
    expect(Array.from(averageRanks([10, 20, 10, 30, 20, 20]))).toEqual([1.5, 4, 1.5, 6, 4, 4])
  })

  it('takes the middle value, or the mean of the two middle ones, ignoring non-finite values', () => {
    expect(median([5, 1, 3])).toBe(3)
    expect(median([4, 1, 3, 2, Number.NaN])).toBe(2.5)
    expect(median([])).toBeNaN()
  })
})

describe('binByTime', () => {
  it('weighs a burst of snapshots like one bin of time, not like many samples', () => {
    // An engineer looped netstat every second for 4 s, then came back once 100 s later.
    const b = binByTime([0, 1000, 2000, 3000, 100_000], [10, 10, 10, 10, 50], 2, 'mean')
    expect(Array.from(b.v)).toEqual([10, 50])
    expect(Array.from(b.t)).toEqual([1500, 100_000])
    expect(Array.from(b.count)).toEqual([4, 1])
  })

  it('drops empty bins instead of interpolating them and puts the last time in the last bin', () => {
    const b = binByTime([0, 10, 90, 100], [1, 2, 3, 4], 10, 'max')
    expect(Array.from(b.v)).toEqual([1, 2, 4])
    expect(Array.from(b.count)).toEqual([1, 1, 2])
  })

  it('aggregates by min and max and accepts unsorted times', () => {
    const times = [30, 0, 20, 10]
    const values = [7, 3, 9, 1]
    expect(Array.from(binByTime(times, values, 2, 'min').v)).toEqual([1, 7])
    expect(Array.from(binByTime(times, values, 2, 'max').v)).toEqual([3, 9])
  })

  it('ignores samples with a non-finite time or value', () => {
    const b = binByTime([0, Number.NaN, 20, 30], [1, 5, Number.POSITIVE_INFINITY, 3], 100, 'mean')
    expect(Array.from(b.v)).toEqual([1, 3])
    expect(binByTime([], [], 10, 'mean').v.length).toBe(0)
  })
})

describe('rollingMin', () => {
  it('returns the minimum over the trailing time window, including the current sample', () => {
    const t = [0, 1, 2, 3, 4, 5].map(m => T0 + m * MIN)
    const floor = rollingMin(t, [5, 3, 4, 6, 7, 2], 2 * MIN)
    expect(Array.from(floor)).toEqual([5, 3, 3, 3, 4, 2])
  })

  it('follows time, not sample count, when sampling is irregular', () => {
    const t = [0, 1, 2, 60, 61].map(m => T0 + m * MIN)
    // The gap of an hour empties the 5-minute window: the early low value no longer counts.
    expect(Array.from(rollingMin(t, [1, 9, 9, 8, 9], 5 * MIN))).toEqual([1, 1, 1, 8, 8])
  })
})

describe('rollingFloorAcf', () => {
  it('predicts the rank autocorrelation of a rolling minimum of white noise', () => {
    const normal = gaussian(21)
    const n = 20_000
    const t = Float64Array.from({length: n}, (_, i) => i)
    // A window of 9.5 ms over 1 ms samples holds 10 samples: at lag k they share 10 − k.
    const floor = rollingMin(t, Float64Array.from({length: n}, () => normal()), 9.5).subarray(9)
    const predicted = rollingFloorAcf(10, 1, 50)
    expect(predicted.length).toBe(9)
    const ranks = averageRanks(floor)
    const mean = (ranks.length + 1) / 2
    let c0 = 0
    for (const r of ranks) c0 += (r - mean) ** 2
    for (const k of [1, 3, 5, 9]) {
      let ck = 0
      for (let i = 0; i + k < ranks.length; i++) ck += (ranks[i]! - mean) * (ranks[i + k]! - mean)
      const theta = 1 - k / 10
      expect(predicted[k - 1]).toBeCloseTo((3 * theta) / (4 - theta), 12)
      expect(Math.abs(ck / c0 - predicted[k - 1]!)).toBeLessThan(0.03)
    }
  })

  it('returns no lag when the window is shorter than the spacing', () => {
    expect(rollingFloorAcf(5, 10, 100).length).toBe(0)
    expect(rollingFloorAcf(0, 10, 100).length).toBe(0)
  })
})

describe('mannKendall', () => {
  it('computes S, the tie-corrected variance and p on a small series with ties', () => {
    // 12 and 15 each occur twice: Var(S) = (10·9·25 − 2·(2·1·9)) / 18 = 123; S = 9+5+5+6+2+2+3+2−1 = 33.
    const r = mannKendall([10, 12, 12, 11, 15, 15, 13, 16, 18, 17], {correction: 'none'})
    expect(r.s).toBe(33)
    expect(r.varS).toBe(123)
    expect(r.tau).toBeCloseTo(33 / 45, 12)
    expect(r.z).toBeCloseTo(32 / Math.sqrt(123), 12)
    expect(r.pIncreasing).toBeCloseTo(0.0019549381602559333, 8)
    expect(r.pTwoSided).toBeCloseTo(2 * 0.0019549381602559333, 8)
    expect(r.nEff).toBeUndefined()
  })

  it('returns p = 1 below 8 values and on a constant series', () => {
    const short = mannKendall([1, 2, 3, 4, 5, 6, 7])
    expect(short.s).toBe(21)
    expect(short.pIncreasing).toBe(1)
    expect(short.pTwoSided).toBe(1)
    expect(mannKendall(new Array<number>(50).fill(3)).pIncreasing).toBe(1)
  })

  it('matches the Hamed-Rao formula written out naively, with every lag', () => {
    const normal = gaussian(11)
    let level = 0
    const x = Array.from({length: 60}, () => Math.round((level = 0.7 * level + normal()) * 4))
    const n = x.length
    const slopes: number[] = []
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) slopes.push((x[j]! - x[i]!) / (j - i))
    const slope = median(slopes)
    const ranks = averageRanks(x.map((v, i) => v - slope * i))
    const mean = (n + 1) / 2
    const c0 = ranks.reduce((acc, r) => acc + (r - mean) ** 2, 0)
    let paper = 0
    let positive = 0
    for (let k = 1; k < n; k++) {
      let ck = 0
      for (let i = 0; i + k < n; i++) ck += (ranks[i]! - mean) * (ranks[i + k]! - mean)
      const r = ck / c0
      const weight = (n - k) * (n - k - 1) * (n - k - 2)
      if (Math.abs(r) > 1.959963984540054 / Math.sqrt(n)) paper += weight * r
      if (r > 1.959963984540054 / Math.sqrt(n)) positive += weight * r
    }
    const scale = 2 / (n * (n - 1) * (n - 2))
    expect(positive).toBeGreaterThan(paper)
    expect(hamedRaoFactor(Float64Array.from(x), {lagRule: 'paper'})).toBeCloseTo(1 + scale * paper, 10)
    expect(hamedRaoFactor(Float64Array.from(x))).toBeCloseTo(1 + scale * positive, 10)
    const r = mannKendall(x)
    expect(r.varSCorrected).toBeCloseTo(r.varS * (1 + scale * positive), 6)
    expect(r.nEff).toBeCloseTo(n / (1 + scale * positive), 10)
  })

  it('uses a known lower bound of the autocorrelation where it exceeds the estimate', () => {
    const normal = gaussian(12)
    const x = Array.from({length: 100}, () => normal())
    const plain = hamedRaoFactor(Float64Array.from(x))
    const bounded = hamedRaoFactor(Float64Array.from(x), {minAcf: [0.9, 0.8, 0.7]})
    // White noise: each bound lag adds about 2·ρ_k·(n−k)³/n³ to the ratio.
    expect(bounded - plain).toBeGreaterThan(0.8 * 2 * (0.9 + 0.8 + 0.7) * 0.94)
    expect(bounded - plain).toBeLessThan(1.2 * 2 * (0.9 + 0.8 + 0.7))
  })

  it('raises the p-value of an autocorrelated series without drift', () => {
    const normal = gaussian(303)
    let level = 0
    const x = Array.from({length: 200}, () => (level = 0.9 * level + normal()))
    const plain = mannKendall(x, {correction: 'none'})
    const corrected = mannKendall(x)
    expect(plain.pTwoSided).toBeLessThan(1e-6)
    expect(corrected.correctionFactor).toBeGreaterThan(2)
    expect(corrected.pTwoSided).toBeGreaterThan(100 * plain.pTwoSided)
    expect(corrected.nEff).toBeLessThan(100)
  })

  it('brings the false alarm rate on driftless AR(1) series back near the nominal level', () => {
    let plain = 0
    let corrected = 0
    for (let seed = 1; seed <= 60; seed++) {
      const normal = gaussian(1000 + seed)
      let level = 0
      const x = Array.from({length: 150}, () => (level = 0.8 * level + normal()))
      if (mannKendall(x, {correction: 'none'}).pTwoSided < 0.05) plain++
      if (mannKendall(x).pTwoSided < 0.05) corrected++
    }
    // Uncorrected, about half of these trend-free series "trend"; corrected, few more than the nominal 5 %.
    expect(plain).toBeGreaterThan(20)
    expect(corrected).toBeLessThan(plain / 3)
  })
})

describe('senSlope', () => {
  it('takes the median of pairwise slopes with the Gilbert interval', () => {
    // Slopes −1, 0.5, 1, 4/3, 2, 3; Var(S) = 4·3·13/18 is so wide for 4 points that the interval is the range.
    const r = senSlope([0, 1, 2, 3], [1, 3, 2, 5])
    expect(r.slope).toBeCloseTo(7 / 6, 12)
    expect(r.intercept).toBeCloseTo(2.5 - (7 / 6) * 1.5, 12)
    expect(r.low).toBe(-1)
    expect(r.high).toBe(3)
    expect(r.pairs).toBe(6)
  })

  it('recovers the slope of a noisy line, per ms, with an interval around it', () => {
    const normal = gaussian(5)
    const t = Array.from({length: 200}, (_, i) => T0 + i * 5 * MIN)
    const v = t.map(time => 100 + (12 * (time - T0)) / HOUR + 5 * normal())
    const r = senSlope(t, v)
    expect(r.slope * HOUR).toBeGreaterThan(11.5)
    expect(r.slope * HOUR).toBeLessThan(12.5)
    expect(r.low * HOUR).toBeLessThan(12)
    expect(r.high * HOUR).toBeGreaterThan(12)
    expect(r.high - r.low).toBeLessThan(0.1 * r.slope)
  })

  it('widens the interval by a variance factor', () => {
    const normal = gaussian(6)
    const t = Array.from({length: 100}, (_, i) => i * MIN)
    const v = t.map(time => time / HOUR + normal())
    const plain = senSlope(t, v, 0.05)
    const wide = senSlope(t, v, {alpha: 0.05, varianceFactor: 4})
    expect(wide.slope).toBe(plain.slope)
    expect(wide.low).toBeLessThan(plain.low)
    expect(wide.high).toBeGreaterThan(plain.high)
    expect(senSlope(t, v, 0.5).high - senSlope(t, v, 0.5).low).toBeLessThan(plain.high - plain.low)
  })

  it('bins long series by time instead of comparing every pair', () => {
    const {t, v} = sampled(20_000, 10_000, dt => 500 + (3 * dt) / HOUR)
    const r = senSlope(t, v)
    expect(r.binned).toBe(true)
    expect(r.points).toBeLessThanOrEqual(300)
    expect(r.slope * HOUR).toBeCloseTo(3, 1)
  })

  it('skips pairs taken at the same time', () => {
    const r = senSlope([0, 0, 10], [5, 7, 8])
    expect(r.pairs).toBe(2)
    expect(r.slope).toBeCloseTo(0.2, 12)
  })
})

describe('pettitt', () => {
  it('finds the step of a step series with the textbook statistic', () => {
    const r = pettitt(Array.from({length: 20}, (_, i) => (i < 10 ? 0 : 1)))
    // Midranks 5.5 and 15.5: U_10 = 2·55 − 10·21 = −100.
    expect(r).toEqual({index: 10, k: 100, p: 2 * Math.exp((-6 * 100 * 100) / (20 ** 3 + 20 ** 2)), direction: 'up'})
  })

  it('locates a rise buried in noise', () => {
    const normal = gaussian(8)
    const x = Array.from({length: 80}, (_, i) => 200 + (i >= 37 ? 15 : 0) + 4 * normal())
    const r = pettitt(x)
    expect(Math.abs(r.index - 37)).toBeLessThanOrEqual(2)
    expect(r.direction).toBe('up')
    expect(r.p).toBeLessThan(0.001)
  })

  it('reports no change point on a constant or too short series', () => {
    expect(pettitt([4, 4, 4, 4, 4]).index).toBe(-1)
    expect(pettitt([1, 2]).p).toBe(1)
  })
})

describe('benjaminiHochberg', () => {
  it('adjusts a known vector like R p.adjust(p, "BH")', () => {
    const r = benjaminiHochberg([0.01, 0.039, 0.03, 0.005, 0.5], 0.05)
    expect(r.adjusted.map(a => Number(a.toFixed(10)))).toEqual([0.025, 0.04875, 0.04875, 0.025, 0.5])
    expect(r.rejected).toEqual([true, true, true, true, false])
    const strict = benjaminiHochberg([0.01, 0.039, 0.03, 0.005, 0.5], 0.045)
    expect(strict.rejected).toEqual([true, false, false, true, false])
  })

  it('never rejects a missing p-value but counts it among the tests', () => {
    const r = benjaminiHochberg([0.01, Number.NaN], 0.05)
    expect(r.adjusted).toEqual([0.02, 1])
    expect(r.rejected).toEqual([true, false])
  })
})

describe('trendTest', () => {
  /** Two weeks every 10 minutes; each day load builds up and is released (sawtooth), on top of `floor(dt)`. */
  function dailySawtooth(seed: number, floor: (dt: number) => number, peak: (dt: number) => number) {
    const normal = gaussian(seed)
    return sampled(14 * 144, 10 * MIN, dt => floor(dt) + peak(dt) * ((dt % DAY) / DAY) + 8 * normal())
  }

  it('does not call a noisy flat series increasing, and says why', () => {
    const normal = gaussian(1)
    const {t, v} = sampled(1440, MIN, () => 100 + 10 * normal())
    const r = trendTest(t, v)
    expect(r.increasing).toBe(false)
    expect(r.checks.trend).toBe(false)
    expect(r.reasons.join('; ')).toMatch(/trend not significant \(p = (0\.\d+|1\.0), need < 0\.05\)/)
    expect(r.samples).toBe(1440)
    expect(r.floorWindowMs).toBeCloseTo((1439 * MIN) / 10, 6)
  })

  it('calls noisy flat series increasing no more often than alpha', () => {
    let increasing = 0
    let significant = 0
    let uncorrected = 0
    for (let seed = 1; seed <= 40; seed++) {
      const normal = gaussian(seed)
      const {t, v} = sampled(1440, MIN, () => 100 + 10 * normal())
      const r = trendTest(t, v)
      if (r.increasing) increasing++
      if (r.pValue < 0.05) significant++
      if (r.floor.s > 0 && normalSf((r.floor.s - 1) / Math.sqrt(r.floor.varS)) < 0.05) uncorrected++
    }
    // The floor is strongly autocorrelated by construction: the plain test finds a "trend" in many of these.
    expect(uncorrected).toBeGreaterThan(10)
    expect(significant).toBeLessThanOrEqual(5)
    expect(increasing).toBeLessThanOrEqual(3)
  })

  it('finds a slow leak of the floor under a large daily sawtooth', () => {
    for (let seed = 1; seed <= 5; seed++) {
      // The floor grows 4 ports a day while the daily swing is 300.
      const {t, v} = dailySawtooth(100 + seed, dt => 40 + (4 * dt) / DAY, () => 300)
      const r = trendTest(t, v)
      expect(r.increasing, `seed ${seed}: ${r.reasons.join('; ')}`).toBe(true)
      expect(r.reasons).toEqual([])
      // Calibrated for autocorrelated noise and paid twice (means and floor): no longer below 1e-3 here.
      expect(r.pValue).toBeLessThan(0.05)
      expect(r.slopePerHour).toBeGreaterThan((0.6 * 4) / 24)
      expect(r.slopePerHour).toBeLessThan((1.3 * 4) / 24)
      expect(r.slopeLowPerHour).toBeGreaterThan(0)
      expect(r.rise).toBeGreaterThanOrEqual(r.minRise)
      expect(r.samples).toBe(14 * 144)
      expect(r.bins.raw).toBeLessThanOrEqual(200)
      expect(r.spanMs).toBe((14 * 144 - 1) * 10 * MIN)
    }
  })

  it('does not call a busy server with growing peaks increasing when it returns to baseline every night', () => {
    // Daily peaks grow from 1,000 to 3,000 ports, yet every night the count falls back to ~50.
    const {t, v} = dailySawtooth(202, () => 50, dt => 1000 + (2000 * dt) / (14 * DAY))
    const r = trendTest(t, v)
    expect(Math.max(...v)).toBeGreaterThan(2500)
    expect(trendTest(t, v, {calibrated: false}).raw.pIncreasing).toBeLessThan(0.05)
    expect(r.rawSlopePerHour).toBeGreaterThan(1)
    expect(r.increasing).toBe(false)
    expect(r.checks.rise).toBe(false)
    expect(r.floor.pIncreasing).toBeGreaterThan(0.2)
    expect(Math.abs(r.rise)).toBeLessThan(20)
  })

  it('rarely calls such busy servers increasing, though every raw series trends', () => {
    let increasing = 0
    for (let seed = 1; seed <= 20; seed++) {
      const {t, v} = dailySawtooth(200 + seed, () => 50, dt => 1000 + (2000 * dt) / (14 * DAY))
      const r = trendTest(t, v)
      expect(trendTest(t, v, {calibrated: false}).raw.pIncreasing).toBeLessThan(0.05)
      if (r.increasing) increasing++
    }
    expect(increasing).toBeLessThanOrEqual(2)
  })

  it('places the change point after the leak started', () => {
    const normal = gaussian(42)
    const growthStart = 3 * DAY
    // Three quiet days, then the floor grows 30 ports a day.
    const leak = (dt: number) => (dt > growthStart ? (30 * (dt - growthStart)) / DAY : 0)
    const {t, v} = sampled(6 * 144, 10 * MIN, dt => 60 + leak(dt) + 3 * normal())
    const r = trendTest(t, v)
    // Over the whole window Hamed-Rao reads the hinge as autocorrelation; the detector tests later windows too.
    expect(scanSeries(Float64Array.from(t), Float64Array.from(v), null).increasing).toBe(true)
    expect(r.changePoint?.direction).toBe('up')
    expect(r.changePoint!.time).toBeGreaterThanOrEqual(T0 + growthStart - HOUR)
    expect(r.changePoint!.time).toBeLessThan(r.end!)
  })

  it('refuses to decide on too few snapshots or too short a span, and says why', () => {
    const few = trendTest([0, 1, 2, 3, 4].map(h => T0 + h * HOUR), [10, 40, 90, 160, 250])
    expect(few.increasing).toBe(false)
    expect(few.checks.samples).toBe(false)
    expect(few.reasons[0]).toMatch(/only 5 samples/)
    const quick = sampled(60, 5000, dt => 100 + dt / 100)
    const short = trendTest(quick.t, quick.v)
    expect(short.checks.span).toBe(false)
    expect(short.increasing).toBe(false)
  })

  it('gives the same answer for shuffled input', () => {
    const {t, v} = dailySawtooth(7, dt => 40 + (4 * dt) / DAY, () => 300)
    const order = Array.from(t.keys()).reverse()
    const shuffled = trendTest(
      order.map(i => t[i]!),
      order.map(i => v[i]!),
    )
    expect(shuffled).toEqual(trendTest(t, v))
  })

  it('returns p-values that Benjamini-Hochberg separates across processes', () => {
    const pValues: number[] = []
    for (let seed = 1; seed <= 6; seed++) {
      const normal = gaussian(500 + seed)
      const flat = sampled(1440, MIN, () => 80 + 6 * normal())
      pValues.push(trendTest(flat.t, flat.v).pValue)
    }
    // A floor rising 6 a day under a daily load of 300: four tests share the level since the GLS slope test joined
    // (Bonferroni × 4), and at 4 a day the floor test's p (0.002) no longer clears BH's 0.05 / 7 after it.
    const leaking = dailySawtooth(9, dt => 40 + (6 * dt) / DAY, () => 300)
    pValues.push(trendTest(leaking.t, leaking.v).pValue)
    expect(benjaminiHochberg(pValues, 0.05).rejected).toEqual([false, false, false, false, false, false, true])
  })
})
