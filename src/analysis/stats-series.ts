import type {Scratch} from '../typed-arrays.js'
import type {Numbers} from './stats-core.js'

/** How `binByTime` reduces the samples of one bin; `last` keeps the value of the latest sample. */
export type BinAggregate = 'mean' | 'min' | 'max' | 'last'

/** A time-binned series: parallel arrays, one entry per non-empty bin, in time order. */
export type Binned = {
  /** Mean time (ms) of the samples in the bin. */
  readonly t: Float64Array
  /** The aggregate of the bin's values. */
  readonly v: Float64Array
  /** Samples in the bin (≥ 1). */
  readonly count: Int32Array
}

/** Bins are allocated up front: this caps memory when a caller passes an absurd `maxBins`. */
export const MAX_BINS = 1 << 16

const HUGE = 2 ** 960

/**
 * Reduces a series to at most `maxBins` bins of equal TIME width spanning [min time, max time], so that a burst of
 * snapshots weighs no more than a quiet hour with few. Empty bins are dropped, never interpolated; the last bin
 * includes the maximum time. Pairs whose time or value is not finite are ignored; `times` need not be sorted.
 * `maxBins` is floored and clamped to [1, MAX_BINS]. Times in ms (any unit works). O(n + maxBins).
 */
export function binByTime(times: Numbers, values: Numbers, maxBins: number, agg: BinAggregate): Binned {
  const n = Math.min(times.length, values.length)
  let tMin = Number.POSITIVE_INFINITY
  let tMax = Number.NEGATIVE_INFINITY
  let vMax = 0
  for (let i = 0; i < n; i++) {
    const t = times[i] as number
    const v = values[i] as number
    if (!Number.isFinite(t) || !Number.isFinite(v)) continue
    if (t < tMin) tMin = t
    if (t > tMax) tMax = t
    if (Math.abs(v) > vMax) vMax = Math.abs(v)
  }
  if (tMin > tMax) return {t: new Float64Array(0), v: new Float64Array(0), count: new Int32Array(0)}
  const bins = Math.min(MAX_BINS, Math.max(1, Math.floor(Number.isFinite(maxBins) ? maxBins : 1)))
  // Sums of times and values near the largest double would overflow: those are scaled by 2^−64, which is exact, so
  // ordinary inputs (scale 1) and extreme ones round alike. Times are summed relative to tMin because epoch
  // milliseconds summed over thousands of samples would lose precision past 2^53.
  const tScale = Math.max(-tMin, tMax) > HUGE ? 2 ** -64 : 1
  const vScale = vMax > HUGE ? 2 ** -64 : 1
  const base = tMin * tScale
  const span = tMax * tScale - base
  const sumT = new Float64Array(bins)
  const acc = new Float64Array(bins)
  const count = new Int32Array(bins)
  const latest = agg === 'last' ? new Float64Array(bins) : null
  for (let i = 0; i < n; i++) {
    const t = times[i] as number
    const v = values[i] as number
    if (!Number.isFinite(t) || !Number.isFinite(v)) continue
    const offset = t * tScale - base
    const b = span > 0 ? Math.min(bins - 1, Math.floor((offset / span) * bins)) : 0
    const c = count[b] as number
    sumT[b] = (sumT[b] as number) + offset
    if (latest !== null) {
      if (c === 0 || t >= (latest[b] as number)) {
        acc[b] = v
        latest[b] = t
      }
    } else if (agg === 'mean') acc[b] = (acc[b] as number) + v * vScale
    else if (c === 0 || (agg === 'min' ? v < (acc[b] as number) : v > (acc[b] as number))) acc[b] = v
    count[b] = c + 1
  }
  let used = 0
  for (let b = 0; b < bins; b++) if ((count[b] as number) > 0) used++
  const out = {t: new Float64Array(used), v: new Float64Array(used), count: new Int32Array(used)}
  let k = 0
  for (let b = 0; b < bins; b++) {
    const c = count[b] as number
    if (c === 0) continue
    out.t[k] = (base + (sumT[b] as number) / c) / tScale
    out.v[k] = agg === 'mean' ? (acc[b] as number) / c / vScale : (acc[b] as number)
    out.count[k] = c
    k++
  }
  return out
}

/** Buffers `rollingMin` may work and answer in: its answer is then a view the next call overwrites. */
export type RollingScratch = {out: Scratch<Float64Array>; deque: Scratch<Int32Array>}

/**
 * The rolling floor: for each sample i, the minimum of the finite values whose time lies in the trailing window
 * [times[i] − windowMs, times[i]] (samples up to and including i). A leak is the absence of a return to baseline,
 * which this floor shows while peaks do not. `times` should be non-decreasing (ms); after a backward step the window
 * is still judged against the current sample's time. Entries with a non-finite time are skipped like non-finite
 * values; the output is NaN only where the window holds no finite value. Length min(times, values).
 * O(n) with a monotonic deque.
 */
export function rollingMin(times: Numbers, values: Numbers, windowMs: number, scratch?: RollingScratch): Float64Array {
  const n = Math.min(times.length, values.length)
  const out = scratch ? scratch.out.take(n) : new Float64Array(n)
  const window = Number.isNaN(windowMs) ? 0 : Math.max(0, windowMs)
  // Indexes of candidate minima, values strictly increasing from head to tail.
  const deque = scratch ? scratch.deque.take(n) : new Int32Array(n)
  let head = 0
  let tail = 0
  for (let i = 0; i < n; i++) {
    const t = times[i] as number
    const v = values[i] as number
    if (Number.isFinite(t) && Number.isFinite(v)) {
      while (tail > head && (values[deque[tail - 1] as number] as number) >= v) tail--
      deque[tail++] = i
    }
    if (Number.isFinite(t)) {
      while (tail > head && (times[deque[head] as number] as number) < t - window) head++
    }
    out[i] = tail > head ? (values[deque[head] as number] as number) : Number.NaN
  }
  return out
}

/**
 * Rank autocorrelation that a rolling floor has by construction when the series itself is trend-free independent
 * noise: the floor sampled every `spacingMs` with window `windowMs`, at lag k, compares two window minima sharing a
 * fraction θ = 1 − k·spacing/window of their windows. Such a pair follows the Cuadras-Augé copula with parameter θ,
 * whose Spearman correlation is 3θ/(4 − θ). Returns lags 1..min(maxLags, lags with θ > 0), index 0 = lag 1, for
 * `mannKendall`'s `minAcf`. O(lags).
 */
export function rollingFloorAcf(windowMs: number, spacingMs: number, maxLags: number): Float64Array {
  if (!(windowMs > 0) || !(spacingMs > 0) || !(maxLags >= 1)) return new Float64Array(0)
  const lags = Math.min(Math.floor(maxLags), Math.ceil(windowMs / spacingMs) - 1, MAX_BINS)
  const out = new Float64Array(Math.max(0, lags))
  for (let k = 1; k <= out.length; k++) {
    const theta = Math.max(0, 1 - (k * spacingMs) / windowMs)
    out[k - 1] = (3 * theta) / (4 - theta)
  }
  return out
}
