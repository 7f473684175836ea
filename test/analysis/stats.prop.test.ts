import {fc, test} from '@fast-check/vitest'
import {describe, expect} from 'vitest'

import {
  benjaminiHochberg,
  binByTime,
  mannKendall,
  median,
  mkScore,
  normalCdf,
  normalSf,
  pettitt,
  rollingMin,
  senSlope,
  trendTest,
} from '../../src/analysis/stats.js'
import {randomWalkRise, trendTestIfRising, trendTestIfSloped} from '../../src/analysis/stats-trend.js'
import {MIN_WINDOW_SAMPLES, scanSeries, WINDOWS} from '../../src/analysis/scan.js'
import {Scratch} from '../../src/typed-arrays.js'

const T0 = Date.UTC(2026, 0, 5)
const WEEK = 7 * 24 * 3_600_000

/** Port counts and other finite values: small integers (many ties), constants, and wide doubles. */
const value = fc.oneof(
  fc.integer({min: 0, max: 20}),
  fc.integer({min: -1000, max: 100_000}),
  fc.double({min: -1e9, max: 1e9, noNaN: true}),
  fc.double({noNaN: true, noDefaultInfinity: true}),
)
/** Series of length 0..60, sometimes constant. */
const series = fc.oneof(
  fc.array(value, {maxLength: 60}),
  fc.tuple(value, fc.nat(60)).map(([v, n]) => new Array<number>(n).fill(v)),
)
/** Wall-clock ms within a week, with repeats (two snapshots with the same stamp) and unsorted order. */
const time = fc.oneof(fc.integer({min: T0, max: T0 + WEEK}), fc.constantFrom(T0, T0 + 60_000))
const samples = fc.oneof(
  fc.array(fc.tuple(time, value), {maxLength: 400}),
  fc.array(fc.tuple(fc.double({noNaN: true, noDefaultInfinity: true}), value), {maxLength: 40}),
)

/** Every number reachable in `x` (objects, arrays, typed arrays), with its path. */
function numbers(x: unknown, path = '$'): [string, number][] {
  if (typeof x === 'number') return [[path, x]]
  if (ArrayBuffer.isView(x)) return Array.from(x as unknown as ArrayLike<number>, (v, i) => [`${path}[${i}]`, v])
  if (Array.isArray(x)) return x.flatMap((v, i) => numbers(v, `${path}[${i}]`))
  if (x !== null && typeof x === 'object') return Object.entries(x).flatMap(([k, v]) => numbers(v, `${path}.${k}`))
  return []
}

function expectNoNaN(x: unknown): void {
  expect(numbers(x).filter(([, v]) => Number.isNaN(v))).toEqual([])
}

function bruteS(x: readonly number[]): number {
  let s = 0
  for (let i = 0; i < x.length; i++) for (let j = i + 1; j < x.length; j++) s += Math.sign(x[j]! - x[i]!)
  return s
}

function close(a: number, b: number): boolean {
  return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b))
}

describe('stats on arbitrary finite input', () => {
  test.prop([series])('mannKendall never throws or returns NaN, and p-values are probabilities', x => {
    for (const options of [{}, {correction: 'none'}, {lagRule: 'paper'}] as const) {
      const r = mannKendall(x, options)
      expectNoNaN(r)
      expect(r.pIncreasing).toBeGreaterThanOrEqual(0)
      expect(r.pIncreasing).toBeLessThanOrEqual(1)
      expect(r.pTwoSided).toBeLessThanOrEqual(1)
      expect(Math.abs(r.tau)).toBeLessThanOrEqual(1)
    }
  })

  test.prop([samples])('trendTest never throws or returns NaN, and explains every failed check', pairs => {
    const r = trendTest(
      pairs.map(p => p[0]),
      pairs.map(p => p[1]),
    )
    expectNoNaN(r)
    const failed = Object.values(r.checks).filter(ok => !ok).length
    expect(r.reasons.length).toBe(failed)
    expect(r.increasing).toBe(failed === 0)
    expect(r.bins.raw).toBeLessThanOrEqual(200)
  })

  test.prop([
    fc.oneof(
      samples,
      fc.array(fc.tuple(time, fc.oneof(value, fc.constant(Number.NaN))), {maxLength: 200}),
      // A step of about the rise the check needs (5 by default), so the boundary is met.
      fc.tuple(fc.integer({min: 8, max: 120}), fc.integer({min: 0, max: 60}), fc.integer({min: 3, max: 7})).map(([n, a, d]) =>
        Array.from({length: n}, (_, i) => [T0 + i * 60_000, i < n / 2 ? a : a + d] as [number, number]),
      ),
    ),
    fc.record({minRise: fc.option(fc.integer({min: 0, max: 50}), {nil: undefined}), floorWindowMs: fc.option(fc.integer({min: 0, max: 3_600_000}), {nil: undefined}), minSamples: fc.option(fc.integer({min: 1, max: 30}), {nil: undefined})}),
  ])('trendTestIfRising is null exactly when trendTest\'s samples, span or rise check fails, else trendTest; trendTestIfSloped \'flat\' when the slope check fails too (the scan skips windows on them)', (pairs, o) => {
    const times = pairs.map((p) => p[0])
    const values = pairs.map((p) => p[1])
    const full = trendTest(times, values, o)
    const {checks} = full
    const rising = trendTestIfRising(times, values, o)
    expect(rising !== null).toBe(checks.samples && checks.span && checks.rise)
    if (rising !== null) expect(rising).toEqual(full)
    // And past those, 'flat' exactly when the floor's slope interval reaches 0 (the scan's windows then have p 1).
    const sloped = trendTestIfSloped(times, values, o)
    if (rising === null) expect(sloped).toBeNull()
    else if (checks.slope) expect(sloped).toEqual(full)
    else expect(sloped).toBe('flat')
  })

  test.prop([samples, fc.integer({min: 1, max: 300}), fc.constantFrom('mean', 'min', 'max', 'last')])(
    'binByTime keeps every sample in at most maxBins ordered bins within the value range',
    (pairs, maxBins, agg) => {
      const b = binByTime(
        pairs.map(p => p[0]),
        pairs.map(p => p[1]),
        maxBins,
        agg,
      )
      expectNoNaN(b)
      expect(b.v.length).toBeLessThanOrEqual(maxBins)
      expect(Array.from(b.count).reduce((a, c) => a + c, 0)).toBe(pairs.length)
      for (let i = 1; i < b.t.length; i++) expect(b.t[i]).toBeGreaterThan(b.t[i - 1]!)
      const lo = Math.min(...pairs.map(p => p[1]))
      const hi = Math.max(...pairs.map(p => p[1]))
      // A mean can round past a bound by a few ulps of the series' magnitude (e.g. -1e288 beside a denormal).
      const tol = 1e-9 * Math.max(Math.abs(lo), Math.abs(hi))
      for (const v of b.v) expect(v >= lo - tol && v <= hi + tol).toBe(true)
    },
  )

  test.prop([series, series])('senSlope, pettitt and benjaminiHochberg never throw or return NaN', (t, v) => {
    expectNoNaN(senSlope(t, v))
    expectNoNaN(senSlope(v, t, 0.01))
    expectNoNaN(pettitt(v))
    expectNoNaN(benjaminiHochberg(v.map(p => Math.abs(p) / 1000), 0.05))
  })

  test.prop([fc.double({noNaN: true})])('normalCdf stays a probability, monotone and symmetric', z => {
    expect(normalCdf(z)).toBeGreaterThanOrEqual(0)
    expect(normalCdf(z)).toBeLessThanOrEqual(1)
    const step = Math.max(1e-3, Math.abs(z) * 1e-3)
    if (Number.isFinite(z)) expect(normalCdf(z + step)).toBeGreaterThanOrEqual(normalCdf(z))
    expect(normalCdf(z) + normalCdf(-z)).toBeCloseTo(1, 14)
  })
})

describe('mannKendall properties', () => {
  test.prop([series])('S equals the pairwise sign sum', x => {
    expect(mkScore(x)).toBe(bruteS(x))
  })

  test.prop([series])('S is antisymmetric under negation, the variance and tie correction unchanged', x => {
    const up = mannKendall(x, {correction: 'none'})
    const down = mannKendall(
      x.map(v => -v),
      {correction: 'none'},
    )
    expect(down.s + up.s).toBe(0)
    expect(down.varS).toBe(up.varS)
    if (up.n >= 8 && up.s !== 0 && up.varS > 0) expect(up.pIncreasing + down.pIncreasing).toBeCloseTo(1, 9)
  })
})

describe('senSlope properties', () => {
  const points = fc
    .uniqueArray(fc.integer({min: 0, max: 100_000}), {minLength: 2, maxLength: 40})
    .chain(t => {
      const values = fc.array(fc.integer({min: -1000, max: 1000}), {minLength: t.length, maxLength: t.length})
      return fc.tuple(fc.constant(t), values)
    })

  test.prop([points, fc.integer({min: -1_000_000, max: 1_000_000})])(
    'is unchanged by adding a constant to the values',
    ([t, v], c) => {
      const a = senSlope(t, v)
      const b = senSlope(
        t,
        v.map(x => x + c),
      )
      expect([b.slope, b.low, b.high]).toEqual([a.slope, a.low, a.high])
      expect(close(b.intercept, a.intercept + c)).toBe(true)
    },
  )

  test.prop([points, fc.integer({min: -50, max: 50}).filter(k => k !== 0)])(
    'scales with the values, a negative factor swapping the interval',
    ([t, v], k) => {
      const a = senSlope(t, v)
      const b = senSlope(
        t,
        v.map(x => x * k),
      )
      expect(close(b.slope, k * a.slope)).toBe(true)
      expect(close(b.low, k * (k > 0 ? a.low : a.high))).toBe(true)
      expect(close(b.high, k * (k > 0 ? a.high : a.low))).toBe(true)
      expect(b.low).toBeLessThanOrEqual(b.slope)
      expect(b.slope).toBeLessThanOrEqual(b.high)
    },
  )
})

describe('rollingMin, pettitt and benjaminiHochberg properties', () => {
  test.prop([
    fc.array(fc.tuple(fc.integer({min: 0, max: 600}), fc.integer({min: 0, max: 50})), {maxLength: 80}),
    fc.integer({min: 0, max: 200}),
  ])('rollingMin equals the brute-force trailing minimum', (pairs, window) => {
    const sorted = [...pairs].sort((a, b) => a[0] - b[0])
    const t = sorted.map(p => p[0])
    const v = sorted.map(p => p[1])
    const floor = rollingMin(t, v, window)
    for (let i = 0; i < t.length; i++) {
      let min = Number.POSITIVE_INFINITY
      for (let j = 0; j <= i; j++) if (t[j]! >= t[i]! - window) min = Math.min(min, v[j]!)
      expect(floor[i]).toBe(min)
    }
  })

  test.prop([
    fc.array(fc.array(fc.tuple(fc.integer({min: 0, max: 600}), fc.integer({min: 0, max: 50})), {maxLength: 80}), {minLength: 1, maxLength: 6}),
    fc.integer({min: 0, max: 200}),
  ])('rollingMin in kept buffers answers as without them, call after call', (calls, window) => {
    const scratch = {out: new Scratch(Float64Array), deque: new Scratch(Int32Array)}
    for (const pairs of calls) {
      const sorted = [...pairs].sort((a, b) => a[0] - b[0])
      const t = sorted.map(p => p[0])
      const v = sorted.map(p => p[1])
      expect(Array.from(rollingMin(t, v, window, scratch))).toEqual(Array.from(rollingMin(t, v, window)))
    }
  })

  test.prop([fc.array(fc.integer({min: 0, max: 9}), {minLength: 3, maxLength: 50})])(
    'pettitt finds the largest |U_t| of the pairwise definition',
    x => {
      let best = 0
      for (let t = 1; t < x.length; t++) {
        let u = 0
        for (let i = 0; i < t; i++) for (let j = t; j < x.length; j++) u += Math.sign(x[i]! - x[j]!)
        best = Math.max(best, Math.abs(u))
      }
      const r = pettitt(x)
      expect(r.k).toBe(best)
      if (best > 0) expect(r.index).toBeGreaterThanOrEqual(1)
      expect(r.index).toBeLessThan(x.length)
    },
  )

  test.prop([
    fc.array(fc.double({min: 0, max: 1, noNaN: true}), {maxLength: 50}),
    fc.double({min: 0, max: 1, noNaN: true}),
    fc.double({min: 0, max: 1, noNaN: true}),
  ])('benjaminiHochberg rejects more, never fewer, hypotheses as q grows', (p, q1, q2) => {
    const [lo, hi] = q1 <= q2 ? [q1, q2] : [q2, q1]
    const a = benjaminiHochberg(p, lo)
    const b = benjaminiHochberg(p, hi)
    a.rejected.forEach((r, i) => {
      if (r) expect(b.rejected[i]).toBe(true)
    })
    a.adjusted.forEach((adj, i) => {
      expect(adj).toBeGreaterThanOrEqual(p[i]!)
      expect(adj).toBeLessThanOrEqual(1)
    })
  })
})

/** The median by sorting a copy: the definition `median` and the rise test must agree with, whatever ran before. */
function sortedMedian(x: ArrayLike<number>): number {
  const s = Array.from(x).filter(Number.isFinite).sort((a, b) => a - b)
  if (s.length === 0) return Number.NaN
  const m = (s.length - 1) / 2
  return s[Math.floor(m)]! + (s[Math.ceil(m)]! - s[Math.floor(m)]!) * (m - Math.floor(m))
}

describe('kept buffers: median and the random-walk rise', () => {
  test.prop([fc.array(fc.array(fc.oneof(value, fc.constant(Number.NaN)), {maxLength: 300}), {minLength: 1, maxLength: 8})])(
    'median equals the sorted middle, call after call of any length',
    all => {
      // + 0: the sort and the selection may pick different zeros of equal rank (0 and -0).
      for (const x of all) expect(median(x) + 0).toBe(sortedMedian(x) + 0)
    },
  )

  test.prop([fc.array(fc.array(fc.integer({min: 0, max: 500}), {maxLength: 300}), {minLength: 1, maxLength: 8})])(
    'randomWalkRise follows its definition, call after call of any length',
    all => {
      for (const x of all) {
        const v = Float64Array.from(x)
        const n = v.length
        let expected = 1
        if (n >= 8) {
          const block = Math.max(2, Math.floor(n / 5))
          const rise = sortedMedian(v.subarray(n - block)) - sortedMedian(v.subarray(0, block))
          const d = Array.from({length: n - 1}, (_, i) => v[i + 1]! - v[i]!)
          const mid = sortedMedian(d)
          const scale = Math.max(0.5, 1.4826 * sortedMedian(d.map(y => Math.abs(y - mid))))
          expected = normalSf(rise / (scale * Math.sqrt(n - 1)))
        }
        expect(randomWalkRise(v)).toBe(expected)
      }
    },
  )
})

describe('trendTest properties', () => {
  test.prop([fc.array(fc.array(value, {minLength: 1, maxLength: 400}), {minLength: 2, maxLength: 5})])(
    'answers alike whatever was tested before it (its copies of the series are kept buffers)',
    all => {
      // Ordered, finite samples: the series is copied into the kept buffers, and median and the rise test reuse theirs.
      const run = (v: number[]) => trendTest(v.map((_, i) => T0 + i * 60_000), v)
      const first = all.map(run)
      // Each result kept from the first pass must neither have changed since nor differ from a fresh one.
      const again = [...all].reverse().map(run).reverse()
      expect(first).toEqual(again)
      expect(first[0]).toEqual(run(all[0]!))
    },
  )

  test.prop([
    fc.uniqueArray(fc.integer({min: T0, max: T0 + WEEK}), {minLength: 1, maxLength: 300}),
    fc.integer({min: 0, max: 1_000_000}),
  ])('does not depend on the order of the samples', (times, seed) => {
    const values = times.map((t, i) => ((t / 60_000 + i * seed) % 97) + (t - T0) / 3_600_000)
    const order = times.map((_, i) => i).sort((a, b) => ((a * 7919 + seed) % 101) - ((b * 7919 + seed) % 101) || a - b)
    expect(
      trendTest(
        order.map(i => times[i]!),
        order.map(i => values[i]!),
      ),
    ).toEqual(trendTest(times, values))
  })
})

/**
 * The scan as first written: every window of WINDOWS tested (no window skipped), the best by p; without a load.
 * The scan skips the tests of windows whose floor cannot pass (`trendTestIfSloped`): it must answer the same.
 */
function scanEveryWindow(t: Float64Array, v: Float64Array) {
  const n = t.length
  const seen = new Set<string>()
  const results: {from: number; to: number; p: number; increasing: boolean}[] = []
  for (const [a, b] of WINDOWS) {
    const from = Math.floor(a * n)
    const to = Math.max(from, Math.ceil(b * n) - 1)
    if ((to - from + 1 < MIN_WINDOW_SAMPLES && !(a === 0 && b === 1)) || seen.has(`${from}:${to}`)) continue
    seen.add(`${from}:${to}`)
    const trend = trendTest(t.subarray(from, to + 1), v.subarray(from, to + 1))
    const c = trend.checks
    const passes = c.samples && c.span && c.slope && c.rise
    let p = passes ? trend.pValue : 1
    const after = v.subarray(to + 1)
    if (to < n - 1 && p < 1 && after.length > 0 && median(after) < (trend.floorStart ?? 0) + 0.5 * trend.rise) p = 1
    results.push({from, to, p, increasing: passes, trend})
  }
  let best = results[0]!
  for (const r of results) if (r.p < best.p) best = r
  return {from: best.from, to: best.to, windows: results.length, p: Math.min(1, best.p * results.length), increasing: best.p < 1 && best.increasing, trend: best.trend}
}

describe('scanSeries', () => {
  // Minute snapshots: noise around a level, a ramp that may start late and may stop, a step, rare gaps (NaN).
  const shaped = fc
    .record({
      n: fc.integer({min: 2, max: 240}),
      level: fc.integer({min: 0, max: 500}),
      noise: fc.integer({min: 0, max: 40}),
      start: fc.double({min: 0, max: 1, noNaN: true}),
      stop: fc.double({min: 0, max: 1, noNaN: true}),
      slope: fc.oneof(fc.constant(0), fc.double({min: -2, max: 5, noNaN: true})),
      step: fc.integer({min: -100, max: 200}),
      seed: fc.integer(),
    })
    .map((s) => {
      let x = s.seed | 0
      const rand = () => {
        x ^= x << 13
        x ^= x >>> 17
        x ^= x << 5
        return (x >>> 0) / 4294967296
      }
      const t = new Float64Array(s.n)
      const v = new Float64Array(s.n)
      for (let i = 0; i < s.n; i++) {
        t[i] = T0 + i * 60_000
        const ramp = Math.max(0, Math.min(i, s.stop * s.n) - s.start * s.n) * s.slope
        v[i] = rand() < 0.01 ? Number.NaN : Math.round(s.level + ramp + (i > s.n / 2 ? s.step : 0) + s.noise * rand())
      }
      return {t, v}
    })

  test.prop([shaped])('answers as testing every window does: best window and its trend, windows counted, p, increasing', ({t, v}) => {
    const r = scanSeries(t, v, null)
    const every = scanEveryWindow(t, v)
    // The best window's trend read after other tests ran, as the detector may (it is tested only when read).
    expect({from: r.best.from, to: r.best.to, windows: r.windows, p: r.p, increasing: r.increasing, trend: r.best.trend}).toEqual(every)
  })
})
