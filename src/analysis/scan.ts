/**
 * The detector's test of one series (docs/detection.md): the calibrated floor trend test (`trendTest`) on a fixed
 * set of windows, so that growth starting late or stopping early is tested where it happens, with the choice of
 * window paid for by Bonferroni over the windows actually tested; against the host's common load when that load
 * itself rises in the window (intersection-union: the series must rise both in counts and relative to the load);
 * and Fisher's combination for restarts folded into one hypothesis. Pure.
 */
import {median} from './stats-core.js'
import {trendTest, trendTestIfSloped, type TrendResult} from './stats-trend.js'

/** Windows tested, as fractions of the series' samples: whole, late starts, early stops. */
export const WINDOWS: readonly (readonly [number, number])[] = [
  [0, 1],
  [1 / 3, 1],
  [1 / 2, 1],
  [0, 1 / 2],
  [0, 2 / 3],
]

/** Fewest samples in a window other than the whole series: shorter ones cost a Bonferroni factor for little power. */
export const MIN_WINDOW_SAMPLES = 20

/** The name of the test, as findings' evidence gives it. */
export const TEST_NAME = 'mann-kendall-calibrated'

export type WindowResult = {
  /** Sample indexes (into the scanned arrays) of the window, inclusive. */
  from: number
  to: number
  trend: TrendResult
  /** The window's p-value: the floor test's, or the larger of it and the load-relative test's. */
  p: number
  /** The load rose in the window, so the series was also tested relative to it. */
  loadAdjusted: boolean
  relativeP: number | null
}

export type ScanResult = {
  /** The window with the smallest p among those whose trend passes its other checks (or the whole window). */
  best: WindowResult
  /** Windows tested (long enough): the Bonferroni factor. */
  windows: number
  /** min(1, windows × best.p), or 1 when no window passes its checks: the hypothesis' p-value. */
  p: number
  /** Some window rises: checks passed and p below 1. */
  increasing: boolean
}

/**
 * The common load of the host per timeline position: the median over steady reference series of each one's
 * value over its own mean. Null with fewer than `minSeries` references (a lone server process has no "rest").
 * `exclude` (an index into `series`) leaves that series out of the median: the load a series is held against is
 * the rest of the host's, not partly its own (a leaker among five references pulls the median up with it, and a
 * series divided by its own growth loses the growth; docs/detection.md).
 */
export function commonLoad(series: readonly ArrayLike<number>[], positions: readonly number[], minSeries = 4, exclude = -1): Float64Array | null {
  return hostLoad(series, positions, minSeries)?.without(exclude) ?? null
}

/** The host's common load (`commonLoad`) over every reference, and without any one of them. */
export type HostLoad = {
  readonly load: Float64Array
  /** The load without series i (an index into the series given): `load` itself when i is no reference. O(positions). */
  without(i: number): Float64Array
}

/**
 * `commonLoad` for every series at once: the references' ratios are sorted once per position and the few order
 * statistics around the middle kept, from which the median without any one reference follows in O(1) per
 * position (removing a value x from sorted s leaves s_c at rank c while s_c < x, else s_{c+1}; ties give equal
 * values). O(positions × references × log references) once, then O(positions) per series.
 */
export function hostLoad(series: readonly ArrayLike<number>[], positions: readonly number[], minSeries = 4): HostLoad | null {
  const refs = new Map<number, {v: ArrayLike<number>; mean: number}>()
  series.forEach((v, i) => {
    const mean = referenceMean(v, positions)
    if (mean !== null) refs.set(i, {v, mean})
  })
  const count = refs.size
  if (count < Math.max(2, minSeries)) return null
  const load = new Float64Array(positions.length)
  // Sorted ranks lo … lo + 3 hold every middle value a median of count − 1 of the ratios can take.
  const lo = Math.max(0, Math.floor((count - 3) / 2))
  const near = new Float64Array(positions.length * 4)
  const ratios = new Float64Array(count)
  positions.forEach((pos, k) => {
    let j = 0
    for (const r of refs.values()) ratios[j++] = r.v[pos]! / r.mean
    ratios.sort()
    load[k] = count % 2 ? ratios[(count - 1) / 2]! : (ratios[count / 2 - 1]! + ratios[count / 2]!) / 2
    for (let d = 0; d < 4; d++) near[k * 4 + d] = ratios[Math.min(count - 1, lo + d)]!
  })
  const m = count - 1
  return {
    load,
    without(i) {
      const r = refs.get(i)
      if (!r) return load
      const out = new Float64Array(positions.length)
      // Sorted ranks of the middle of count − 1 values (equal for an odd count), relative to lo.
      const c1 = Math.floor((m - 1) / 2) - lo
      const c2 = Math.floor(m / 2) - lo
      for (let k = 0; k < positions.length; k++) {
        const x = r.v[positions[k]!]! / r.mean
        const base = k * 4
        const a = near[base + c1]! < x ? near[base + c1]! : near[base + c1 + 1]!
        const b = near[base + c2]! < x ? near[base + c2]! : near[base + c2 + 1]!
        out[k] = (a + b) / 2
      }
      return out
    },
  }
}

/**
 * The mean of a series over `positions` when it is one of `commonLoad`'s references (present in ≥ 90 % of them,
 * ≥ 5 on average), else null.
 */
export function referenceMean(v: ArrayLike<number>, positions: readonly number[]): number | null {
  let sum = 0
  let present = 0
  for (const pos of positions) {
    sum += v[pos]!
    if (v[pos]! > 0) present++
  }
  const mean = sum / Math.max(1, positions.length)
  return present >= 0.9 * positions.length && mean >= 5 ? mean : null
}

/**
 * Tests one series (times ms, values) on every window of `WINDOWS` with at least MIN_WINDOW_SAMPLES samples.
 * `load` (parallel to the samples) is the common load; windows where it rises (`loadRises`) test the values over
 * the load too.
 * A window that ends before the last sample counts only if the series holds its gain afterwards (it stopped, it
 * did not go back down). O(windows × trendTest).
 */
export function scanSeries(t: Float64Array, v: Float64Array, load: Float64Array | null): ScanResult {
  const n = t.length
  const results: WindowResult[] = []
  // Windows tested whose floor cannot pass its checks: their p is 1, so they count for Bonferroni only.
  let hopeless = 0
  const seen = new Set<string>()
  for (const [a, b] of WINDOWS) {
    const from = Math.floor(a * n)
    const to = Math.max(from, Math.ceil(b * n) - 1)
    if (to - from + 1 < MIN_WINDOW_SAMPLES && !(a === 0 && b === 1)) continue
    const key = `${from}:${to}`
    if (seen.has(key)) continue
    seen.add(key)
    const tt = t.subarray(from, to + 1)
    const vv = v.subarray(from, to + 1)
    // A window whose samples, span or floor rise fail trendTest's checks has p 1 whatever its tests say, and is
    // never the best: the tests, about a millisecond a window, are not run. The whole series (WINDOWS[0]) stands
    // for the series when no window passes: its trend is then tested when first read (restarts folded into one
    // hypothesis read their members'; a series that is no finding is never read). A window whose floor's slope
    // interval reaches 0 has p 1 too, and only its slope is computed (it counts for Bonferroni as a tested one).
    const trend = trendTestIfSloped(tt, vv)
    if (trend === null || trend === 'flat') {
      if (trend === null && results.length > 0) hopeless++
      else results.push(untested(from, to, () => trendTest(tt, vv)))
      continue
    }
    let p = passes(trend) ? trend.pValue : 1
    let loadAdjusted = false
    let relativeP: number | null = null
    if (load && p < 1) {
      const ll = load.subarray(from, to + 1)
      if (loadRises(ll)) {
        loadAdjusted = true
        const rel = trendTest(tt, Float64Array.from(vv, (x, i) => x / Math.max(1e-9, ll[i]!)))
        relativeP = rel.checks.trend && rel.checks.slope ? rel.pValue : 1
        p = Math.max(p, relativeP)
      }
    }
    if (to < n - 1 && p < 1 && !holds(v, to, trend)) p = 1
    results.push({from, to, trend, p, loadAdjusted, relativeP})
  }
  const windows = results.length + hopeless
  let best = results[0]!
  for (const r of results) if (r.p < best.p) best = r
  const p = Math.min(1, best.p * windows)
  return {best, windows, p, increasing: best.p < 1 && passes(best.trend)}
}

/** A window with p 1 whose trend is tested when first read (once). */
function untested(from: number, to: number, test: () => TrendResult): WindowResult {
  let trend: TrendResult | undefined
  return {
    from,
    to,
    get trend() {
      return (trend ??= test())
    },
    p: 1,
    loadAdjusted: false,
    relativeP: null,
  }
}

/**
 * The load rises in a window when the median of one of its later eighths (after the first quarter, at least three
 * samples each) is at least 10 % above that of its first quarter (a rise anywhere, including a step near the
 * window's end, which the last quarter's median alone missed), and that rise is at least LOAD_RISE_Z standard
 * errors of the difference of the two medians, the load's noise taken from its own first differences
 * (`stepNoise`). The load is a median over a handful of processes: over 30 snapshots its noise alone (7 %) made
 * "10 % above" in a fifth of the windows (1 % with the noise rule), and a series divided by a load that did not
 * rise only gains that noise (docs/detection.md). Still liberal: a rise taken for load only makes the series pass
 * a second test.
 */
export function loadRises(load: Float64Array): boolean {
  const n = load.length
  const q = Math.max(1, Math.floor(n / 4))
  const first = median(load.subarray(0, q))
  const block = Math.max(3, Math.floor(n / 8))
  const sd = stepNoise(load)
  // The standard error of a median is about 1.25 that of a mean.
  const se = 1.2533 * sd * Math.sqrt(1 / q + 1 / block)
  for (let from = q; from < n; from += block) {
    const m = median(load.subarray(Math.min(from, n - block), Math.min(n, from + block)))
    if (m >= 1.1 * first && m - first >= LOAD_RISE_Z * se) return true
  }
  return false
}

/** Standard errors of the difference of medians a load's rise must reach to count (`loadRises`). */
export const LOAD_RISE_Z = 3

/**
 * The sd of a series' noise from its first differences (over √2): their sd about their median after the steps
 * beyond 4 robust sds (MAD × 1.4826) are left out, so a step in the load does not count as noise while a MAD that
 * happens to be small (it is a noisy estimate on 30 differences) does not make noise look like a step. 0 below 3
 * values.
 */
function stepNoise(v: Float64Array): number {
  if (v.length < 3) return 0
  const d = new Float64Array(v.length - 1)
  for (let i = 1; i < v.length; i++) d[i - 1] = v[i]! - v[i - 1]!
  const mid = median(d)
  const cut = 4 * 1.4826 * median(d.map((x) => Math.abs(x - mid)))
  let ss = 0
  let k = 0
  for (const x of d) {
    if (Math.abs(x - mid) > cut) continue
    ss += (x - mid) ** 2
    k++
  }
  return k > 1 ? Math.sqrt(ss / (k - 1) / 2) : 0
}

/** The trend's checks other than significance: enough samples and span, a positive slope interval, the rise. */
function passes(t: TrendResult): boolean {
  return t.checks.samples && t.checks.span && t.checks.slope && t.checks.rise
}

/** After a window ending at `to`, the series keeps at least half its rise: a stop, not a return to baseline. */
function holds(v: Float64Array, to: number, trend: TrendResult): boolean {
  const after = v.subarray(to + 1)
  if (after.length === 0) return true
  const base = trend.floorStart ?? 0
  return median(after) >= base + 0.5 * trend.rise
}

/** Fisher's combination of independent p-values: P(χ²(2k) ≥ −2 Σ ln p). Exact for even degrees of freedom. */
export function fisherCombine(ps: readonly number[]): number {
  if (ps.length === 0) return 1
  let x = 0
  for (const p of ps) x += -2 * Math.log(Math.max(1e-300, Math.min(1, p)))
  const half = x / 2
  let term = 1
  let sum = 1
  for (let j = 1; j < ps.length; j++) {
    term *= half / j
    sum += term
  }
  return Math.min(1, Math.exp(-half) * sum)
}
