/**
 * Keeps reports small whatever the input: charts draw at most a bounded number of points per series
 * (each bucket's lowest and highest, so peaks and troughs survive), hover targets, event markers and gap
 * bands are thinned to a bound, and long tables are cut with a note that points to `export`. Pure.
 */
import {int} from '../numbers.js'

/** Most points a chart draws per series. */
export const CHART_POINTS = 1200
/** Most hover targets (with their tooltips) per chart. */
export const CHART_HITS = 600
/** Most event markers and gap bands per chart. */
export const CHART_MARKS = 300
/** Most rows of a table whose length grows with the input (inputs, handle series). */
export const TABLE_ROWS = 200

/**
 * Indexes (ascending) of the values to keep of `n`: all when n ≤ max, else the first and the last and,
 * per bucket of about 2n/max values, the first lowest and the first highest.
 */
export function extremaIndexes(n: number, value: (i: number) => number, max = CHART_POINTS): number[] {
  if (n <= max) return Array.from({length: n}, (_, i) => i)
  const buckets = Math.max(1, Math.floor((max - 2) / 2))
  const keep = new Set<number>([0, n - 1])
  for (let b = 0; b < buckets; b++) {
    const from = Math.floor((b * n) / buckets)
    const to = Math.floor(((b + 1) * n) / buckets)
    let lo = from
    let hi = from
    for (let i = from + 1; i < to; i++) {
      const v = value(i)
      if (v < value(lo)) lo = i
      if (v > value(hi)) hi = i
    }
    if (to > from) keep.add(lo).add(hi)
  }
  return [...keep].sort((a, b) => a - b)
}

/**
 * Runs of a line (or of stacked samples) thinned to about `max` points in all, each run in proportion
 * to its length; `value` is what must keep its extremes (the y by default). So many runs that each
 * would get fewer than two points are joined into one first (the gap bands still show the gaps).
 */
export function thinRuns<P extends {x: number; y: number}>(runs: P[][], value: (p: P) => number = (p) => p.y, max = CHART_POINTS): P[][] {
  const total = runs.reduce((n, r) => n + r.length, 0)
  if (total <= max) return runs
  const joined = runs.length * 2 > max ? [runs.flat()] : runs
  return joined.map((run) => {
    const share = Math.max(2, Math.floor((max * run.length) / total))
    return extremaIndexes(run.length, (i) => value(run[i]!), share).map((i) => run[i]!)
  })
}

/**
 * The samples that get a hover target: every present one, or every `stride`-th when there are more than
 * `max`; `maxStep` widened by the stride so thinned columns still meet their neighbours.
 */
export function hitSamples(
  xs: readonly (number | null)[],
  maxStep: number | null,
  max = CHART_HITS,
): {present: {x: number; i: number}[]; maxStep: number | null} {
  const present: {x: number; i: number}[] = []
  xs.forEach((x, i) => {
    if (x !== null) present.push({x, i})
  })
  if (present.length <= max) return {present, maxStep}
  const stride = Math.ceil(present.length / max)
  return {present: present.filter((_, k) => k % stride === 0), maxStep: maxStep === null ? null : maxStep * stride}
}

/** Gaps (steps above `maxStep`) as [before, after] pairs in time order; past `max`, the longest `max` of them. */
export function gapsOf(xs: readonly (number | null)[], maxStep: number | null, max = CHART_MARKS): [number, number][] {
  if (maxStep === null) return []
  const out: [number, number][] = []
  let prev: number | null = null
  for (const x of xs) {
    if (x === null) continue
    if (prev !== null && x - prev > maxStep) out.push([prev, x])
    prev = x
  }
  if (out.length <= max) return out
  const longest = new Set([...out].sort((a, b) => b[1] - b[0] - (a[1] - a[0]) || a[0] - b[0]).slice(0, max))
  return out.filter((g) => longest.has(g))
}

/** At most `max` items, evenly spread over the list (the first and last kept). */
export function spread<T>(items: readonly T[], max = CHART_MARKS): T[] {
  if (items.length <= max) return [...items]
  return Array.from({length: max}, (_, k) => items[Math.round((k * (items.length - 1)) / (max - 1))]!)
}

/** The first `max` rows, and the note to print under the table when some were left out (else null). */
export function capRows<T>(rows: readonly T[], max = TABLE_ROWS): {rows: T[]; note: string | null} {
  if (rows.length <= max) return {rows: [...rows], note: null}
  const more = rows.length - max
  return {rows: rows.slice(0, max), note: `${int(more)} more row${more === 1 ? '' : 's'} not shown; portleak export writes them all.`}
}
