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

/**
 * The peak of one of a process's timeline series: its largest value within the process's life [first, last].
 * The timeline widens that span for every count it gives a process, so the series is zero outside it: a day of
 * short-lived processes looks at a few cells of each instead of the whole day.
 */
export function lifePeak(values: ArrayLike<number>, first: number, last: number): number {
  let m = 0
  const to = Math.min(values.length - 1, last)
  for (let i = Math.max(0, first); i <= to; i++) if (values[i]! > m) m = values[i]!
  return m
}

export function minOf(values: ArrayLike<number>, start = Infinity): number {
  let m = start
  for (let i = 0; i < values.length; i++) if (values[i]! < m) m = values[i]!
  return m
}
