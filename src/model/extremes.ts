/**
 * `Math.max(start, ...values)` / `Math.min(start, ...values)` by a loop: spreading throws "Maximum
 * call stack size exceeded" beyond about 150,000 values, and a loop sampled several times a second
 * has that many snapshots. The default `start` gives Math.max/min's own result for an empty series.
 */
export function maxOf(values: ArrayLike<number>, start = -Infinity): number {
  let m = start
  for (let i = 0; i < values.length; i++) if (values[i]! > m) m = values[i]!
  return m
}

/** The peak of a count series: its largest value, 0 when it is empty. */
export const peakOf = (values: ArrayLike<number>): number => maxOf(values, 0)

export function minOf(values: ArrayLike<number>, start = Infinity): number {
  let m = start
  for (let i = 0; i < values.length; i++) if (values[i]! < m) m = values[i]!
  return m
}
