import {median, normalSf} from './stats-core.js'
import type {Numbers} from './stats-core.js'
import {mannKendall} from './stats-mann-kendall.js'
import type {MannKendallResult} from './stats-mann-kendall.js'
import {pettitt} from './stats-pettitt.js'
import type {PettittResult} from './stats-pettitt.js'
import {SEN_MAX_POINTS, senSlope} from './stats-sen.js'
import {differenceLag1, FLOOR_CALIBRATION, varianceScale} from './stats-calibration.js'
import {estimatePhi, GLS_LINE_CALIBRATION, glsTrend, glsVarianceScale, type GlsResult} from './stats-gls.js'
import {binByTime, rollingFloorAcf, rollingMin, type RollingScratch} from './stats-series.js'
import {Scratch} from '../typed-arrays.js'

const MINUTE = 60_000
/** Fewest samples for the floor test to take part in the decision (ten floor windows of six samples). */
export const FLOOR_MIN_SAMPLES = 60
const HOUR = 3_600_000

export type TrendOptions = {
  /** Time bins the tests run on (mean for the raw series, latest floor for the floor). Default 200, at most 300. */
  readonly maxPoints?: number
  /** Trailing window of the rolling floor, ms. Default max(5 min, span / 10); never more than half the span. */
  readonly floorWindowMs?: number
  /** One-sided level of the floor Mann-Kendall test; the slope interval is two-sided at 1 − alpha. Default 0.05. */
  readonly alpha?: number
  /** Fewest finite samples (snapshots) to call a series increasing. Default 8. */
  readonly minSamples?: number
  /** Shortest time span to call a series increasing, ms. Default 10 minutes. */
  readonly minSpanMs?: number
  /** Smallest rise of the floor, end minus start, in value units. Default max(5, 10 % of the floor at the start). */
  readonly minRise?: number
  /**
   * Scale the floor test's variance by the simulated calibration (`floorVarianceScale`), default true. False gives
   * the uncalibrated statistic the calibration script measures.
   */
  readonly calibrated?: boolean
}

/** Each condition of `TrendResult.increasing`; all must hold. */
export type TrendChecks = {
  readonly samples: boolean
  readonly span: boolean
  /** `pValue` < alpha: the means', a slope's (GLS), the floor's or the random-walk rise test fires (Bonferroni over those run). */
  readonly trend: boolean
  /** Lower bound of the floor's Sen slope interval > 0. */
  readonly slope: boolean
  /** Floor at the end − floor at the start ≥ minRise. */
  readonly rise: boolean
}

/** The tests of a window, as findings' evidence names the one that fired. */
export type TrendComponent = 'mann-kendall-means' | 'gls-slope' | 'gls-slope-line' | 'random-walk-rise' | 'mann-kendall-floor'
const COMPONENTS: readonly TrendComponent[] = ['mann-kendall-means', 'gls-slope', 'gls-slope-line', 'random-walk-rise', 'mann-kendall-floor']

export type TrendResult = {
  /** The verdict: the floor (the level the series keeps returning to) grows. */
  readonly increasing: boolean
  /** Tests run × the smallest of their one-sided p-values (means, the two GLS slopes, rise, floor from 60 samples): for `benjaminiHochberg`. */
  readonly pValue: number
  /** The test with the smallest p among those run. */
  readonly fired: TrendComponent
  /** Finite (time, value) samples. */
  readonly samples: number
  /** First and last sample time (ms), null without samples. */
  readonly start: number | null
  readonly end: number | null
  readonly spanMs: number
  /** Floor window actually used, ms. */
  readonly floorWindowMs: number
  /** Points the raw and floor tests ran on. The floor starts one window after the first sample. */
  readonly bins: {readonly raw: number; readonly floor: number}
  /** Mann-Kendall (Hamed-Rao, variance scaled by the simulated calibration) on the time-binned means. */
  readonly raw: MannKendallResult
  /** Mann-Kendall (Hamed-Rao with the overlap bound, calibrated) on the time-binned rolling floor. */
  readonly floor: MannKendallResult
  /** Prais-Winsten slope test on the time-binned means, φ estimated (REML around a flat-then-linear mean) and calibrated per (length, φ band). */
  readonly gls: GlsResult
  /** The same with φ estimated around a line: sharper against φ = 0.9 on short series, blind to growth that starts late. */
  readonly glsLine: GlsResult
  /** Sen slope of the floor in value units per hour, with its two-sided 1 − alpha interval (Gilbert). */
  readonly slopePerHour: number
  readonly slopeLowPerHour: number
  readonly slopeHighPerHour: number
  /** Sen slope of the binned means, units per hour. */
  readonly rawSlopePerHour: number
  /** Pettitt change point of the floor, as the mean time (ms) of the first bin after it; null when none. */
  readonly changePoint: (Omit<PettittResult, 'index'> & {readonly time: number}) | null
  /** Floor in the first and last bin, null without floor bins. */
  readonly floorStart: number | null
  readonly floorEnd: number | null
  /** floorEnd − floorStart (0 without floor bins), and the threshold it was held to. */
  readonly rise: number
  readonly minRise: number
  readonly checks: TrendChecks
  /** One sentence per failed check, for the report. Empty when increasing. */
  readonly reasons: string[]
}

/**
 * Decides whether a series leaks: whether its rolling floor (minimum over a trailing window) keeps rising, rather
 * than whether it is large. The series is sorted by time if needed and the non-finite samples dropped. The raw
 * series is binned by time to ≤ maxPoints means. The floor is computed at full resolution, kept from one window
 * after the start (earlier windows are incomplete) and binned to ≤ maxPoints bins, each holding the floor at its
 * latest sample.
 *
 * `increasing` requires enough samples and span, `pValue` below alpha (Bonferroni over the calibrated one-sided
 * Mann-Kendall tests of the binned means and, from FLOOR_MIN_SAMPLES on, of the floor, and the random-walk rise
 * test `randomWalkRise`), the lower bound of the floor's Sen slope
 * interval above 0, and a floor rise of at least minRise. The Hamed-Rao correction alone is anti-conservative on
 * short and autocorrelated series; each test's variance is scaled by a factor simulated per length (and, for the
 * means, per lag-1 autocorrelation; stats-calibration.ts, docs/detection.md). The floor test alone has about
 * span / window effective points and misses slow and short leaks; the means alone trend on busy servers whose peaks
 * grow but return to baseline, which the floor's slope and rise checks then refuse.
 *
 * Times in ms, slopes per hour. O(n log n) for unsorted input, else O(n), plus O(maxPoints²) on the bins.
 */
export function trendTest(times: Numbers, values: Numbers, options: TrendOptions = {}): TrendResult {
  return trendOf(times, values, options, 'all') as TrendResult
}

/**
 * `trendTest`, or null without running its tests when its cheap checks already fail (too few samples, too short
 * a span, too small a floor rise): its `increasing` would be false whatever the tests say. O(n) then.
 */
export function trendTestIfRising(times: Numbers, values: Numbers, options: TrendOptions = {}): TrendResult | null {
  return trendOf(times, values, options, 'rising') as TrendResult | null
}

/**
 * `trendTestIfRising`, or 'flat' without running its tests when the floor's Sen slope interval reaches 0 as well
 * (`checks.slope` false): its `increasing` would be false whatever the tests say. For callers to whom a series
 * that fails any check is only that (the detector's windows, `scanSeries`): on the 0.5 GB UTF-16LE bench loop
 * 45 of 103 windows past the cheap checks, at about three quarters of a test each.
 */
export function trendTestIfSloped(times: Numbers, values: Numbers, options: TrendOptions = {}): TrendResult | 'flat' | null {
  return trendOf(times, values, options, 'sloped')
}

/** What trendOf runs: every test ('all'), or none past the first check a series fails ('rising', 'sloped'). */
type TrendMode = 'all' | 'rising' | 'sloped'

function trendOf(times: Numbers, values: Numbers, options: TrendOptions, mode: TrendMode): TrendResult | 'flat' | null {
  const {alpha, maxPoints, minSamples, minSpanMs} = settings(options)
  const {t, v} = sortedFinite(times, values)
  const n = t.length
  const start = n > 0 ? (t[0] as number) : null
  const end = n > 0 ? (t[n - 1] as number) : null
  const {spanMs, floorWindowMs, floor, floorStart, floorEnd, rise, minRise} = floorOf(t, v, options, maxPoints)
  if (mode !== 'all' && !(n >= minSamples && spanMs >= minSpanMs && floor.v.length > 0 && rise >= minRise)) return null
  // Gilbert's interval without the Hamed-Rao widening: the p-value already answers "is it significant", the
  // interval "is the rise consistently positive". Widened as well, it failed a third of simulated hinge-shaped leaks
  // (flat, then growing) to call about 1 % instead of 3 % of flat noisy series increasing. (Pure, of the floor's
  // own bins: first, so that a caller who needs no more of a flat series is spared the tests.)
  const sen = senSlope(floor.t, floor.v, {alpha})
  if (mode === 'sloped' && !(sen.pairs > 0 && sen.low > 0)) return 'flat'
  const raw = binByTime(t, v, maxPoints, 'mean')
  // The floor bins' mean spacing: span over the gaps between the bins actually kept (not over maxPoints, which
  // overstated the overlap, and so the correction, 2–3 times below maxPoints samples).
  const spacing = floor.t.length > 1 ? ((floor.t[floor.t.length - 1] as number) - (floor.t[0] as number)) / (floor.t.length - 1) : 0

  // The decision's test: Mann-Kendall on the binned means, Hamed-Rao corrected, its variance scaled by the factor
  // simulated for this length and this lag-1 autocorrelation (stats-calibration.ts).
  const rawScale = options.calibrated === false ? 1 : varianceScale(raw.v.length, differenceLag1(raw.v))
  const rawMk = mannKendall(raw.v, {varianceScale: rawScale, detrend: 'hinge'})
  // Neighbouring floor values share most of their window: tell the correction what that dependence is at least.
  const floorScale = options.calibrated === false ? 1 : varianceScale(n, 0, FLOOR_CALIBRATION)
  const floorMk = mannKendall(floor.v, {minAcf: rollingFloorAcf(floorWindowMs, spacing, floor.v.length - 1), varianceScale: floorScale})
  // From FLOOR_MIN_SAMPLES on either test may fire: the means catch slow and short leaks, the floor a leak under a
  // large periodic load; Bonferroni over the two keeps the level. Shorter series hold too few floor windows.
  // A rank test with its variance scaled for the worst autocorrelation cannot reach small p-values on short
  // series, however clean the ramp: the rise is also held against what a random walk with the series' own
  // steps would wander (`randomWalkRise`), which no stationary noise exceeds more often.
  const riseP = randomWalkRise(v)
  // The slope test that pays for the autocorrelation the series shows rather than the worst it could have: a short
  // ramp over white noise is tested as such (stats-gls.ts).
  const phi = estimatePhi(raw.v)
  const gls = glsTrend(raw.v, {phi, varianceScale: options.calibrated === false ? 1 : glsVarianceScale(raw.v.length, phi)})
  // The same slope with φ estimated around a line: it tells a short ramp over white noise from AR(0.9) noise best
  // (the likelihood of a line cannot absorb the noise's wander with a knot), and reads a late start as persistence,
  // which the test above does not; each is calibrated on its own, and Bonferroni pays for both.
  const phiLine = estimatePhi(raw.v, 'line')
  const glsLine = glsTrend(raw.v, {phi: phiLine, varianceScale: options.calibrated === false ? 1 : glsVarianceScale(raw.v.length, phiLine, GLS_LINE_CALIBRATION)})
  const common = [rawMk.pIncreasing, gls.pIncreasing, glsLine.pIncreasing, riseP]
  const tests = n >= FLOOR_MIN_SAMPLES ? [...common, floorMk.pIncreasing] : common
  const pValue = Math.min(1, tests.length * Math.min(...tests))
  const fired = COMPONENTS[tests.indexOf(Math.min(...tests))]!
  // Only the slope of the raw series is reported, for contrast with the floor: 100 points are plenty.
  const rawSen = senSlope(raw.t, raw.v, {alpha, maxPoints: 100})
  const change = pettitt(floor.v)

  const fb = floor.v.length
  const checks: TrendChecks = {
    samples: n >= minSamples,
    span: spanMs >= minSpanMs,
    trend: pValue < alpha,
    slope: sen.pairs > 0 && sen.low > 0,
    rise: fb > 0 && rise >= minRise,
  }
  const {index, ...changeRest} = change
  return {
    increasing: checks.samples && checks.span && checks.trend && checks.slope && checks.rise,
    pValue,
    fired,
    samples: n,
    start,
    end,
    spanMs,
    floorWindowMs,
    bins: {raw: raw.v.length, floor: fb},
    raw: rawMk,
    floor: floorMk,
    gls,
    glsLine,
    slopePerHour: sen.slope * HOUR,
    slopeLowPerHour: sen.low * HOUR,
    slopeHighPerHour: sen.high * HOUR,
    rawSlopePerHour: rawSen.slope * HOUR,
    changePoint: index >= 0 ? {...changeRest, time: floor.t[index] as number} : null,
    floorStart,
    floorEnd,
    rise,
    minRise,
    checks,
    reasons: reasonsFor(checks, {n, minSamples, spanMs, minSpanMs, alpha, p: pValue, sen, rise, minRise}),
  }
}

/** trendTest's options with their defaults. */
function settings(options: TrendOptions) {
  return {
    alpha: options.alpha !== undefined && options.alpha > 0 && options.alpha < 1 ? options.alpha : 0.05,
    maxPoints: Math.max(2, Math.min(SEN_MAX_POINTS, Math.floor(options.maxPoints ?? 200))),
    minSamples: options.minSamples ?? 8,
    minSpanMs: options.minSpanMs ?? 10 * MINUTE,
  }
}

/**
 * The rolling floor of finite samples in time order, as trendTest tests it: kept from one window after the start
 * and binned to ≤ maxPoints bins, each holding the floor at its latest sample; its first and last bin, the rise
 * between them and the rise it must reach.
 */
function floorOf(t: Float64Array, v: Float64Array, options: TrendOptions, maxPoints: number) {
  const n = t.length
  const spanMs = n > 0 ? (t[n - 1] as number) - (t[0] as number) : 0
  const requested = options.floorWindowMs ?? Math.max(5 * MINUTE, spanMs / 10)
  const floorWindowMs = Math.max(0, Math.min(Number.isNaN(requested) ? 0 : requested, spanMs / 2))
  const floorAll = rollingMin(t, v, floorWindowMs, floorScratch)
  let from = 0
  while (from < n && (t[from] as number) < (t[0] as number) + floorWindowMs) from++
  // Each floor bin keeps the floor at its latest sample: exactly the trailing-window minimum at that time.
  const floor = binByTime(t.subarray(from), floorAll.subarray(from), maxPoints, 'last')
  const fb = floor.v.length
  const floorStart = fb > 0 ? (floor.v[0] as number) : null
  const floorEnd = fb > 0 ? (floor.v[fb - 1] as number) : null
  const rise = floorStart !== null && floorEnd !== null ? floorEnd - floorStart : 0
  const minRise = options.minRise ?? Math.max(5, 0.1 * Math.abs(floorStart ?? 0))
  return {spanMs, floorWindowMs, floor, floorStart, floorEnd, rise, minRise}
}

/**
 * One-sided p-value of the series' rise (median of its last fifth minus median of its first fifth) against a
 * random walk whose steps have the robust spread of the series' own steps (MAD of the first differences about
 * their median, at least 0.5 for integer counts): normalSf(rise / (scale·√(n − 1))). Stationary noise, bursts and
 * AR(1) noise wander less than the walk, so the test is conservative for them; a clean ramp is many walks away.
 * 1 below 8 values. O(n log n).
 */
export function randomWalkRise(v: Float64Array): number {
  // The steps go into a buffer kept between calls (trendTest takes one per window of every series).
  const n = v.length
  if (n < 8) return 1
  const block = Math.max(2, Math.floor(n / 5))
  const rise = median(v.subarray(n - block)) - median(v.subarray(0, block))
  const d = walkScratch.take(n - 1)
  for (let i = 1; i < n; i++) d[i - 1] = (v[i] as number) - (v[i - 1] as number)
  const mid = median(d)
  // The absolute deviations in place of the steps (median copied what it needed).
  for (let i = 0; i < d.length; i++) d[i] = Math.abs((d[i] as number) - mid)
  const scale = Math.max(0.5, 1.4826 * median(d))
  return normalSf(rise / (scale * Math.sqrt(n - 1)))
}

type ReasonFacts = {
  n: number
  minSamples: number
  spanMs: number
  minSpanMs: number
  alpha: number
  p: number
  sen: {low: number; pairs: number}
  rise: number
  minRise: number
}

function reasonsFor(checks: TrendChecks, f: ReasonFacts): string[] {
  const out: string[] = []
  if (!checks.samples) out.push(`only ${f.n} samples (need ${f.minSamples})`)
  if (!checks.span) out.push(`spans ${minutes(f.spanMs)} min (need ${minutes(f.minSpanMs)} min)`)
  if (!checks.trend) out.push(`trend not significant (p = ${f.p.toPrecision(2)}, need < ${f.alpha})`)
  if (!checks.slope) {
    out.push(f.sen.pairs > 0 ? `floor slope interval reaches ${num(f.sen.low * HOUR)}/h` : 'no floor slope')
  }
  if (!checks.rise) out.push(`floor rose by ${num(f.rise)} (need ${num(f.minRise)})`)
  return out
}

function minutes(ms: number): string {
  return num(ms / MINUTE)
}

function num(x: number): string {
  return Number.isInteger(x) ? String(x) : x.toPrecision(3)
}

/** Buffers reused from call to call: randomWalkRise's steps, and trendTest's time-ordered series (sortedFinite). */
const walkScratch = new Scratch(Float64Array)
/** The rolling floor's buffers: trendTest bins the floor (a copy) and drops it. */
const floorScratch: RollingScratch = {out: new Scratch(Float64Array), deque: new Scratch(Int32Array)}
const sortedScratch = {t: new Scratch(Float64Array), v: new Scratch(Float64Array)}

/**
 * The finite (time, value) pairs in time order (stable), copying only what is needed. Already finite and in
 * order (the usual case), they are views of buffers the next call overwrites.
 */
function sortedFinite(times: Numbers, values: Numbers): {t: Float64Array; v: Float64Array} {
  const n = Math.min(times.length, values.length)
  // Common case: finite and in time order already, copied as they are.
  let plain = true
  for (let i = 0; i < n && plain; i++) {
    const ti = times[i] as number
    plain = Number.isFinite(ti) && Number.isFinite(values[i]) && (i === 0 || ti >= (times[i - 1] as number))
  }
  if (plain) {
    // Into buffers kept between calls: trendTest's copy of the series does not outlive the call.
    const t = sortedScratch.t.take(n)
    const v = sortedScratch.v.take(n)
    for (let i = 0; i < n; i++) {
      t[i] = times[i] as number
      v[i] = values[i] as number
    }
    return {t, v}
  }
  const keep: number[] = []
  let sorted = true
  for (let i = 0; i < n; i++) {
    const ti = times[i] as number
    if (!Number.isFinite(ti) || !Number.isFinite(values[i])) continue
    if (keep.length > 0 && ti < (times[keep[keep.length - 1] as number] as number)) sorted = false
    keep.push(i)
  }
  if (!sorted) keep.sort((a, b) => (times[a] as number) - (times[b] as number) || a - b)
  const t = new Float64Array(keep.length)
  const v = new Float64Array(keep.length)
  for (let k = 0; k < keep.length; k++) {
    t[k] = times[keep[k] as number] as number
    v[k] = values[keep[k] as number] as number
  }
  return {t, v}
}
