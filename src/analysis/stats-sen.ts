import {median, mkVariance, normalQuantile, selectInPlace} from './stats-core.js'
import type {Numbers} from './stats-core.js'
import {binByTime} from './stats-series.js'

/**
 * Sen's slope looks at every pair of points (O(n²) time and memory): above this many points the series is first
 * binned by time. 300 points = 44,850 slopes, a fraction of a millisecond.
 */
export const SEN_MAX_POINTS = 300

export type SenSlopeOptions = {
  /** The interval is two-sided at level 100·(1 − alpha) %. Default 0.05. */
  readonly alpha?: number
  /**
   * Multiplies the Mann-Kendall variance the interval is built from: pass `MannKendallResult.correctionFactor` of
   * the same points to widen it for autocorrelation. Default 1.
   */
  readonly varianceFactor?: number
  /** Bin by time (mean) when there are more points than this; clamped to [2, SEN_MAX_POINTS]. Default 300. */
  readonly maxPoints?: number
}

export type SenSlopeResult = {
  /** Median of the pairwise slopes, in value units per time unit (per ms for ms times). 0 when there is no pair. */
  readonly slope: number
  /** Confidence interval of the slope (Gilbert 1987), same units; both 0 when there is no pair. */
  readonly low: number
  readonly high: number
  /** Value of the fitted line at time 0: median(v) − slope · median(t) (Conover). */
  readonly intercept: number
  /** Points the slopes were computed on (after binning). */
  readonly points: number
  /** Pairs with distinct times (and a finite slope), i.e. slopes the median was taken over. */
  readonly pairs: number
  /** Whether the input had more than `maxPoints` points and was binned by time first. */
  readonly binned: boolean
}

/**
 * Sen's (Theil-Sen) slope of values over times with the confidence interval of Gilbert (1987): with N slopes and
 * C = z(1−α/2)·√Var(S) (Var(S) the tie-corrected Mann-Kendall variance), the limits are the order statistics of
 * rank (N − C)/2 and (N + C)/2 + 1, interpolated when fractional and clamped to the extreme slopes. Pairs with
 * equal times (or whose slope overflows) are skipped; samples with a non-finite time or value are ignored.
 * `options` may be the alpha alone.
 * O(m²) on m ≤ maxPoints points (more are binned by time first, O(n)); expected linear selection, no sort.
 */
export function senSlope(times: Numbers, values: Numbers, options: SenSlopeOptions | number = {}): SenSlopeResult {
  const opts = typeof options === 'number' ? {alpha: options} : options
  const alpha = opts.alpha !== undefined && opts.alpha > 0 && opts.alpha < 1 ? opts.alpha : 0.05
  const factor = opts.varianceFactor !== undefined && opts.varianceFactor > 0 ? opts.varianceFactor : 1
  const maxPoints = Math.max(2, Math.min(SEN_MAX_POINTS, Math.floor(opts.maxPoints ?? SEN_MAX_POINTS)))
  const {t, v, binned} = finitePoints(times, values, maxPoints)
  const m = t.length
  const c = normalQuantile(1 - alpha / 2) * Math.sqrt(mkVariance(v) * factor)
  // The middle band of the slopes first (`bandPivots`), every slope when that band falls short or cannot be used
  // (with ±∞ bounds every slope is kept: never null, never a rank missed).
  const pivots = bandPivots(t, v, c)
  const fast = pivots ? gilbert(slopesBetween(t, v, pivots.lower, pivots.upper), c) : null
  const {slope, low, high, pairs} = fast ?? gilbert(slopesBetween(t, v, Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY)!, c)!
  if (pairs === 0) {
    const level = m > 0 ? median(v) : 0
    return {slope: 0, low: 0, high: 0, intercept: level, points: m, pairs, binned}
  }
  return {slope, low, high, intercept: median(v) - slope * median(t), points: m, pairs, binned}
}

/**
 * The median slope and Gilbert's limits from `band`; null when a rank they need lies outside it. Gilbert's ranks are
 * 1-based: lower = M1-th, upper = (M2 + 1)-th slope. Selecting the median partitioned the slopes around it, so each
 * limit is searched in its own half.
 */
function gilbert(band: Band | null, c: number): {slope: number; low: number; high: number; pairs: number} | null {
  if (!band) return null
  const {pairs} = band
  if (pairs === 0) return {slope: 0, low: 0, high: 0, pairs}
  const mid = (pairs - 1) / 2
  const split = Math.floor(mid)
  const slope = band.stat(mid, 0, pairs - 1)
  const low = band.stat((pairs - c) / 2 - 1, 0, split)
  const high = band.stat((pairs + c) / 2, split, pairs - 1)
  return band.missed() ? null : {slope, low, high, pairs}
}

/**
 * The pairwise slopes, reused from call to call: allocating (and zeroing) up to 44,850 doubles per call cost the
 * detector time in the garbage collector.
 */
let scratch = new Float64Array(0)

/** Fewer pairs than this are selected among all of them: a band saves too little. */
const BAND_MIN_PAIRS = 1000
const SAMPLE = 512
const sample = new Float64Array(SAMPLE)

/**
 * Two slopes bracketing the ones Sen needs: the median and Gilbert's limits (ranks (N ± C)/2) lie within C/2 ranks
 * of the middle. The slopes of a fixed pseudo-random sample of pairs, at those ranks as fractions of the pairs (all
 * finite in the usual case) widened by four standard errors of a sample quantile. Null below BAND_MIN_PAIRS pairs,
 * when C is not finite, or when the band would hold most of the slopes anyway.
 */
function bandPivots(t: Float64Array, v: Float64Array, c: number): {lower: number; upper: number} | null {
  const m = t.length
  const total = (m * (m - 1)) / 2
  if (total < BAND_MIN_PAIRS || !Number.isFinite(c)) return null
  const margin = 4 * Math.sqrt(0.25 / SAMPLE) + 0.01
  const from = ((total - c) / 2 - 1) / total - margin
  const to = ((total + c) / 2 + 1) / total + margin
  if (to - from > 0.75) return null
  let seed = 0x9e3779b9
  const next = () => {
    // xorshift32 from a fixed seed: the same pairs on every call.
    seed ^= seed << 13
    seed ^= seed >>> 17
    seed ^= seed << 5
    return (seed >>> 0) / 4294967296
  }
  let taken = 0
  for (let s = 0; s < SAMPLE; s++) {
    const a = Math.floor(next() * m)
    const b = Math.floor(next() * (m - 1))
    // A pair i < j, its slope computed as `slopesBetween` does: the bounds are slopes of the series (never a −0
    // that pair order would not give) and count their ties.
    const i = b >= a ? a : b
    const j = b >= a ? b + 1 : a
    const slope = ((v[j] as number) - (v[i] as number)) / ((t[j] as number) - (t[i] as number))
    if (Number.isFinite(slope)) sample[taken++] = slope
  }
  if (taken < SAMPLE / 2) return null
  // Selected, not sorted: the pivots need only be slopes near those ranks.
  const at = (q: number) => selectInPlace(sample, Math.min(taken - 1, Math.max(0, q)), 0, taken - 1)
  return {
    lower: from > 0 ? at(Math.floor(from * taken)) : Number.NEGATIVE_INFINITY,
    upper: to < 1 ? at(Math.ceil(to * taken)) : Number.POSITIVE_INFINITY,
  }
}

/** The finite slopes of `slopesBetween` in [lower, upper], by rank among all of them. */
type Band = {
  /** Finite slopes, in the band or not. */
  readonly pairs: number
  /** `orderStatistic` of all the slopes at rank r searched in [from, to]; NaN, and `missed` true, outside the band. */
  readonly stat: (r: number, from: number, to: number) => number
  readonly missed: () => boolean
}

/**
 * The finite pairwise slopes in [lower, upper] by rank: how many fall below, how many equal either bound (counted,
 * not stored: a level floor makes most slopes 0, and selecting among equal values still moves them all), and
 * those strictly between, in pair order, the only ones selected among. The slope of a rank is one value, whichever
 * way it is found, as long as no slope is −0: equal to +0, which of the two a selection returns depends on the
 * order of the slopes it is run on. So a band that leaves slopes out is null at a −0 slope (the caller then takes
 * every slope); with ±∞ bounds every slope lies strictly between, and `stat` is `orderStatistic` as first written,
 * on the same slopes in the same order.
 */
function slopesBetween(t: Float64Array, v: Float64Array, lower: number, upper: number): Band | null {
  const m = t.length
  const whole = lower === Number.NEGATIVE_INFINITY && upper === Number.POSITIVE_INFINITY
  if (scratch.length < (m * (m - 1)) / 2) scratch = new Float64Array((m * (m - 1)) / 2)
  const inner = scratch
  // Equal bounds: their ties are counted once.
  const upperTie = upper === lower ? Number.NaN : upper
  let pairs = 0
  let below = 0
  let atLower = 0
  let atUpper = 0
  let kept = 0
  for (let i = 0; i < m; i++) {
    const ti = t[i] as number
    const vi = v[i] as number
    for (let j = i + 1; j < m; j++) {
      const slope = ((v[j] as number) - vi) / ((t[j] as number) - ti)
      // Equal times give NaN or ±∞, as do times equal but for rounding: no slope to take from such a pair.
      if (!(slope > Number.NEGATIVE_INFINITY && slope < Number.POSITIVE_INFINITY)) continue
      if (slope === 0 && 1 / slope < 0 && !whole) return null
      pairs++
      if (slope < lower) below++
      else if (slope <= upper) {
        if (slope === lower) atLower++
        else if (slope === upperTie) atUpper++
        else inner[kept++] = slope
      }
    }
  }
  let missed = false
  // Ranks by part: below | lower × atLower | inner | upper × atUpper | above.
  const offset = below + atLower
  // The inner positions of ranks from..to: [from, to] is the whole or one side of an earlier selection, so its part
  // of the inner slopes holds exactly those ranks.
  const last = (to: number) => Math.min(kept - 1, to - offset)
  const rankAt = (k: number, from: number, to: number, selected: boolean) => {
    const r = k - below
    if (r >= 0 && r < atLower) return lower
    if (r >= atLower && r < atLower + kept) {
      const at = r - atLower
      if (!selected) return selectInPlace(inner, at, Math.max(0, from - offset), last(to))
      // The rank after one just selected (or after the lower ties): the least inner value from there on.
      let least = Number.POSITIVE_INFINITY
      for (let i = at; i <= last(to); i++) if ((inner[i] as number) < least) least = inner[i] as number
      return least
    }
    if (r >= atLower + kept && r < atLower + kept + atUpper) return upper
    missed = true
    return Number.NaN
  }
  const stat = (r: number, from: number, to: number) => {
    const rank = Math.min(to, Math.max(from, Number.isNaN(r) ? from : r))
    const lo = Math.floor(rank)
    const low = rankAt(lo, from, to, false)
    if (rank === lo) return low
    return low + (rankAt(lo + 1, from, to, true) - low) * (rank - lo)
  }
  return {pairs, stat, missed: () => missed}
}

function finitePoints(
  times: Numbers,
  values: Numbers,
  maxPoints: number,
): {t: Float64Array; v: Float64Array; binned: boolean} {
  const n = Math.min(times.length, values.length)
  let count = 0
  for (let i = 0; i < n; i++) if (Number.isFinite(times[i]) && Number.isFinite(values[i])) count++
  if (count > maxPoints) {
    const bins = binByTime(times, values, maxPoints, 'mean')
    return {t: bins.t, v: bins.v, binned: true}
  }
  const t = new Float64Array(count)
  const v = new Float64Array(count)
  let k = 0
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(times[i]) || !Number.isFinite(values[i])) continue
    t[k] = times[i] as number
    v[k++] = values[i] as number
  }
  return {t, v, binned: false}
}
