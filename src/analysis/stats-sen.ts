import {median, mkVariance, normalQuantile, orderStatistic} from './stats-core.js'
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
  const slopes = new Float64Array((m * (m - 1)) / 2)
  let pairs = 0
  for (let i = 0; i < m; i++) {
    const ti = t[i] as number
    const vi = v[i] as number
    for (let j = i + 1; j < m; j++) {
      const slope = ((v[j] as number) - vi) / ((t[j] as number) - ti)
      // Equal times give NaN or ±∞, as do times equal but for rounding: no slope to take from such a pair.
      if (Number.isFinite(slope)) slopes[pairs++] = slope
    }
  }
  if (pairs === 0) {
    const level = m > 0 ? median(v) : 0
    return {slope: 0, low: 0, high: 0, intercept: level, points: m, pairs, binned}
  }
  const all = slopes.subarray(0, pairs)
  const mid = (pairs - 1) / 2
  const slope = orderStatistic(all, mid)
  const c = normalQuantile(1 - alpha / 2) * Math.sqrt(mkVariance(v) * factor)
  // Gilbert's ranks are 1-based: lower = M1-th, upper = (M2 + 1)-th slope. Selecting the median partitioned the
  // slopes around it, so each limit is searched in its own half.
  const split = Math.floor(mid)
  const low = orderStatistic(all, (pairs - c) / 2 - 1, 0, split)
  const high = orderStatistic(all, (pairs + c) / 2, split, pairs - 1)
  return {slope, low, high, intercept: median(v) - slope * median(t), points: m, pairs, binned}
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
