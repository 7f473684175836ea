/**
 * Numeric building blocks of the trend statistics: the normal distribution, ranks with ties, order statistics
 * and the Benjamini-Hochberg procedure. Pure, allocation-light, no dependencies but the typed-array helpers.
 */
import {Scratch} from '../typed-arrays.js'

/** Values with `length` and numeric indexes: `number[]`, `Float64Array`, `Int32Array`… */
export type Numbers = ArrayLike<number>

const SQRT1_2 = Math.SQRT1_2
const ERFC = [
  -1.26551223, 1.00002368, 0.37409196, 0.09678418, -0.18628806, 0.27886807, -1.13520398, 1.48851587, -0.82215223,
  0.17087277,
]
// The published constant term leaves erfc(0) = 1 + 3e-8. Recomputing it from the others, summed in Horner order,
// makes erfc(0) exactly 1, so Φ(0) = 0.5 and Φ(z) + Φ(−z) = 1, at the cost of ≤ 3e-8 relative error elsewhere.
ERFC[0] = -ERFC.slice(1).reduceRight((acc, c) => acc + c, 0)

/**
 * Complementary error function, Chebyshev fit of Numerical Recipes (`erfcc`): relative error < 1.5e-7 over
 * the whole real line, so tiny upper-tail probabilities keep their relative precision. O(1).
 */
export function erfc(x: number): number {
  const z = Math.abs(x)
  const t = 1 / (1 + 0.5 * z)
  let poly = 0
  for (let k = ERFC.length - 1; k >= 0; k--) poly = poly * t + (ERFC[k] as number)
  const r = t * Math.exp(-z * z + poly)
  return x >= 0 ? r : 2 - r
}

/** Standard normal CDF Φ(z) = P(Z ≤ z), accurate to ~1e-7 (relative in the lower tail). NaN in, NaN out. O(1). */
export function normalCdf(z: number): number {
  return 0.5 * erfc(-z * SQRT1_2)
}

/** Standard normal survival function 1 − Φ(z) = P(Z > z), computed directly so the upper tail keeps precision. */
export function normalSf(z: number): number {
  return 0.5 * erfc(z * SQRT1_2)
}

// Acklam's rational approximation of the normal quantile, relative error < 1.15e-9.
const QA = [
  -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239,
]
const QB = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572]
const QC = [
  -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
  2.938163982698783,
]
const QD = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416]

function tailQuantile(q: number): number {
  const [c0, c1, c2, c3, c4, c5] = QC as [number, number, number, number, number, number]
  const [d0, d1, d2, d3] = QD as [number, number, number, number]
  const num = ((((c0 * q + c1) * q + c2) * q + c3) * q + c4) * q + c5
  return num / ((((d0 * q + d1) * q + d2) * q + d3) * q + 1)
}

/**
 * Standard normal quantile Φ⁻¹(p) (Acklam, relative error < 1.2e-9). Returns −∞ for p ≤ 0, +∞ for p ≥ 1, NaN for
 * NaN. O(1).
 */
export function normalQuantile(p: number): number {
  if (Number.isNaN(p)) return Number.NaN
  if (p <= 0) return Number.NEGATIVE_INFINITY
  if (p >= 1) return Number.POSITIVE_INFINITY
  const low = 0.02425
  if (p < low) return tailQuantile(Math.sqrt(-2 * Math.log(p)))
  if (p > 1 - low) return -tailQuantile(Math.sqrt(-2 * Math.log(1 - p)))
  const [a0, a1, a2, a3, a4, a5] = QA as [number, number, number, number, number, number]
  const [b0, b1, b2, b3, b4] = QB as [number, number, number, number, number]
  const q = p - 0.5
  const r = q * q
  const num = (((((a0 * r + a1) * r + a2) * r + a3) * r + a4) * r + a5) * q
  return num / (((((b0 * r + b1) * r + b2) * r + b3) * r + b4) * r + 1)
}

/**
 * Indexes 0..n−1 ordered by value ascending (ties, −0 and +0 among them, keep index order). NaN must be filtered out
 * first. O(n log n).
 *
 * Without NaN that order is one permutation, whichever sort finds it: a stable merge sort on the values written out
 * here, comparing inline, finds it several times faster than the built-in sort calling a comparator. With a NaN
 * the comparator is inconsistent and the permutation is the built-in sort's own, which is kept.
 */
export function sortedOrder(values: Numbers): Int32Array {
  const n = values.length
  const order = new Int32Array(n)
  for (let i = 0; i < n; i++) order[i] = i
  const v = new Float64Array(n)
  for (let i = 0; i < n; i++) {
    v[i] = values[i] as number
    if (Number.isNaN(v[i])) {
      order.sort((a, b) => (values[a] as number) - (values[b] as number) || a - b)
      return order
    }
  }
  // The comparator's order: by value, ±∞ equal to themselves, ties by index.
  let from = order
  let to = new Int32Array(n)
  // Runs of 8 by insertion (stable: an index moves only past larger values), then merges of doubling width.
  for (let lo = 0; lo < n; lo += 8) {
    const hi = Math.min(n, lo + 8)
    for (let i = lo + 1; i < hi; i++) {
      const x = from[i] as number
      const vx = v[x] as number
      let j = i - 1
      while (j >= lo && (v[from[j] as number] as number) > vx) {
        from[j + 1] = from[j] as number
        j--
      }
      from[j + 1] = x
    }
  }
  for (let width = 8; width < n; width *= 2) {
    for (let lo = 0; lo < n; lo += 2 * width) {
      const mid = Math.min(n, lo + width)
      const hi = Math.min(n, lo + 2 * width)
      let i = lo
      let j = mid
      let k = lo
      // The left run first on ties: stable.
      while (i < mid && j < hi) to[k++] = (v[from[j] as number] as number) < (v[from[i] as number] as number) ? (from[j++] as number) : (from[i++] as number)
      while (i < mid) to[k++] = from[i++] as number
      while (j < hi) to[k++] = from[j++] as number
    }
    const swap = from
    from = to
    to = swap
  }
  return from
}

/**
 * Ranks 1..n with ties given their average rank ("midranks"), in input order. Values must not be NaN.
 * O(n log n).
 */
export function averageRanks(values: Numbers): Float64Array {
  const n = values.length
  const order = sortedOrder(values)
  const ranks = new Float64Array(n)
  let i = 0
  while (i < n) {
    let j = i + 1
    const v = values[order[i] as number] as number
    while (j < n && values[order[j] as number] === v) j++
    // Positions i..j−1 (0-based) share ranks i+1..j, whose mean is (i+1+j)/2.
    const rank = (i + 1 + j) / 2
    for (let k = i; k < j; k++) ranks[order[k] as number] = rank
    i = j
  }
  return ranks
}

/**
 * Variance of the Mann-Kendall S under the null hypothesis of no trend, corrected for ties:
 * [n(n−1)(2n+5) − Σ t(t−1)(2t+5)] / 18, t over the sizes of groups of equal values. Values must not be NaN;
 * `order` is `sortedOrder(values)` when the caller has it already. O(n log n), O(n) given the order.
 */
export function mkVariance(values: Numbers, order: Int32Array = sortedOrder(values)): number {
  const n = values.length
  let ties = 0
  let i = 0
  while (i < n) {
    let j = i + 1
    const v = values[order[i] as number] as number
    while (j < n && values[order[j] as number] === v) j++
    const t = j - i
    ties += t * (t - 1) * (2 * t + 5)
    i = j
  }
  return (n * (n - 1) * (2 * n + 5) - ties) / 18
}

/** The finite values of `values`, in order, as a new Float64Array (or a view of `scratch`'s buffer). O(n). */
export function finiteValues(values: Numbers, scratch?: Scratch<Float64Array>): Float64Array {
  let count = 0
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i])) count++
  const out = scratch ? scratch.take(count) : new Float64Array(count)
  let k = 0
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number
    if (Number.isFinite(v)) out[k++] = v
  }
  return out
}

/**
 * Rearranges `a` in place so that `a[k]` holds the k-th smallest value (0-based), smaller-or-equal values before
 * it and greater-or-equal after (Hoare quickselect, median-of-three pivot). Expected O(n). Returns `a[k]`.
 */
export function selectInPlace(a: Float64Array, k: number, from = 0, to = a.length - 1): number {
  let lo = from
  let hi = to
  while (hi > lo) {
    const mid = (lo + hi) >>> 1
    // Median of three keeps sorted and reverse-sorted inputs (common for slopes of trends) linear.
    if ((a[mid] as number) < (a[lo] as number)) swap(a, mid, lo)
    if ((a[hi] as number) < (a[lo] as number)) swap(a, hi, lo)
    if ((a[hi] as number) < (a[mid] as number)) swap(a, hi, mid)
    const pivot = a[mid] as number
    let i = lo
    let j = hi
    while (i <= j) {
      while ((a[i] as number) < pivot) i++
      while ((a[j] as number) > pivot) j--
      if (i <= j) {
        swap(a, i, j)
        i++
        j--
      }
    }
    if (k <= j) hi = j
    else if (k >= i) lo = i
    else break
  }
  return a[k] as number
}

function swap(a: Float64Array, i: number, j: number): void {
  const t = a[i] as number
  a[i] = a[j] as number
  a[j] = t
}

/**
 * The order statistic at a fractional 0-based rank `r` of `a`, interpolating linearly between neighbours. Only
 * `a[from..to]` is searched, which must hold exactly the values of ranks from..to (the whole array by default, or
 * one side of an earlier selection); `r` is clamped to [from, to]. Reorders that range. Expected O(to − from).
 * NaN when the range is empty.
 */
export function orderStatistic(a: Float64Array, r: number, from = 0, to = a.length - 1): number {
  if (to < from || a.length === 0) return Number.NaN
  const rank = Math.min(to, Math.max(from, Number.isNaN(r) ? from : r))
  const lo = Math.floor(rank)
  const low = selectInPlace(a, lo, from, to)
  if (rank === lo) return low
  // After selecting lo, the next order statistic is the minimum of the part above it.
  let high = Number.POSITIVE_INFINITY
  for (let i = lo + 1; i <= to; i++) if ((a[i] as number) < high) high = a[i] as number
  return low + (high - low) * (rank - lo)
}

/** The working copy `median` selects in, kept between calls: the analysis takes hundreds of medians of long series. */
const medianScratch = new Scratch(Float64Array)

/** Median of the finite values (mean of the two middle ones for an even count); NaN when there is none. O(n). */
export function median(values: Numbers): number {
  const finite = finiteValues(values, medianScratch)
  return orderStatistic(finite, (finite.length - 1) / 2)
}

export type BhResult = {
  /** Whether each hypothesis is rejected at false discovery rate q, in input order. */
  readonly rejected: boolean[]
  /** BH-adjusted p-values ("q-values", as R's `p.adjust(p, 'BH')`), in input order. */
  readonly adjusted: number[]
}

/**
 * Benjamini-Hochberg step-up procedure controlling the false discovery rate at `q` across m tests. Non-finite
 * p-values count as 1 (never rejected, still part of m); p is clamped to [0, 1]. `rejected[i]` is
 * `adjusted[i] ≤ q`, so the rejected set only grows with q. O(m log m).
 */
export function benjaminiHochberg(pValues: Numbers, q = 0.05): BhResult {
  const m = pValues.length
  const p = new Float64Array(m)
  for (let i = 0; i < m; i++) {
    const v = pValues[i] as number
    p[i] = Number.isFinite(v) ? Math.min(1, Math.max(0, v)) : 1
  }
  const order = sortedOrder(p)
  const adjusted: number[] = new Array<number>(m)
  let running = 1
  for (let k = m - 1; k >= 0; k--) {
    const i = order[k] as number
    // m/(k+1) ≥ 1 first, so rounding can never push an adjusted value below its p.
    running = Math.min(running, (p[i] as number) * (m / (k + 1)))
    adjusted[i] = running
  }
  return {rejected: adjusted.map(a => a <= q), adjusted}
}
