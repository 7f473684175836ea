import {format} from 'date-fns'

import type {WallTime} from '../formats/types.js'

/**
 * A Date whose local getters read the UTC fields. A `WallTime` is the wall clock as written, stored
 * as if it were UTC: date-fns formats with local getters, so this keeps the machine's zone (and its
 * DST gaps) from shifting what the log said.
 */
class WallDate extends Date {
  override getFullYear() {
    return this.getUTCFullYear()
  }
  override getMonth() {
    return this.getUTCMonth()
  }
  override getDate() {
    return this.getUTCDate()
  }
  override getDay() {
    return this.getUTCDay()
  }
  override getHours() {
    return this.getUTCHours()
  }
  override getMinutes() {
    return this.getUTCMinutes()
  }
  override getSeconds() {
    return this.getUTCSeconds()
  }
  override getMilliseconds() {
    return this.getUTCMilliseconds()
  }
  override getTimezoneOffset() {
    return 0
  }
}

/** Formats a wall time with a date-fns pattern, exactly as written in the log (no zone shift). */
export function formatWall(t: WallTime, pattern: string): string {
  return format(new WallDate(t), pattern)
}

const SEC = 1000
const MIN = 60 * SEC
const HOUR = 60 * MIN
const DAY = 24 * HOUR
const STEPS = [SEC, 2 * SEC, 5 * SEC, 10 * SEC, 15 * SEC, 30 * SEC, MIN, 2 * MIN, 5 * MIN, 10 * MIN, 15 * MIN, 30 * MIN,
  HOUR, 2 * HOUR, 3 * HOUR, 6 * HOUR, 12 * HOUR, DAY, 2 * DAY, 7 * DAY]
const MONTH_STEPS = [1, 3, 6, 12, 24, 60, 120]

/** A label on the time axis, at a column of the visible window. */
export type Tick = {readonly col: number; readonly label: string}

/** The date-fns pattern of an axis label for a tick step (ms) over a window. */
export function tickPattern(step: number, multiDay: boolean, multiYear: boolean): string {
  if (step >= 28 * DAY) return step >= 365 * DAY ? 'yyyy' : 'yyyy-MM'
  if (step >= DAY) return multiYear ? 'yyyy-MM-dd' : 'MM-dd'
  const clock = step < MIN ? 'HH:mm:ss' : 'HH:mm'
  if (multiYear) return `yyyy-MM-dd ${clock}`
  return multiDay ? `MM-dd ${clock}` : clock
}

/**
 * Ticks for a time window of `width` columns, each `msPerCol` wide, starting at `x0`: the smallest
 * round step (1 s … 10 years) whose labels do not touch, aligned to the wall clock.
 * `multiYear`: the whole case spans years, so labels carry the year.
 */
export function timeTicks(x0: number, msPerCol: number, width: number, multiYear: boolean): Tick[] {
  const x1 = x0 + msPerCol * width
  const multiDay = Math.floor(x0 / DAY) !== Math.floor((x1 - 1) / DAY)
  const fits = (step: number) => step / msPerCol >= tickPattern(step, multiDay, multiYear).length + 2
  const step = STEPS.find(fits)
  const out: Tick[] = []
  const push = (t: number, pattern: string) => {
    const col = Math.floor((t - x0) / msPerCol)
    if (col >= 0 && col < width) out.push({col, label: formatWall(t, pattern)})
  }
  if (step !== undefined) {
    const pattern = tickPattern(step, multiDay, multiYear)
    for (let t = Math.ceil(x0 / step) * step; t < x1; t += step) push(t, pattern)
    return out
  }
  const months = MONTH_STEPS.find((m) => (m * 30 * DAY) / msPerCol >= tickPattern(m * 30 * DAY, multiDay, multiYear).length + 2) ?? 120
  const pattern = tickPattern(months * 30 * DAY, multiDay, multiYear)
  const d = new Date(x0)
  // months counted from year 0, so the steps align to calendar quarters, halves and years
  let a = d.getUTCFullYear() * 12 + d.getUTCMonth() + (x0 === Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1) ? 0 : 1)
  a = Math.ceil(a / months) * months
  for (let t = Date.UTC(Math.floor(a / 12), a % 12, 1); t < x1; a += months, t = Date.UTC(Math.floor(a / 12), a % 12, 1)) {
    push(t, pattern)
  }
  return out
}

/** Ticks for an untimed axis (snapshot numbers, 1-based), `perCol` snapshots per column. */
export function indexTicks(x0: number, perCol: number, width: number): Tick[] {
  const last = x0 + perCol * width
  const labelWidth = String(Math.ceil(last) + 1).length + 1
  let step = 1
  for (const k of [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10_000, 20_000, 50_000, 100_000]) {
    step = k
    if (k / perCol >= labelWidth + 2) break
  }
  const out: Tick[] = []
  for (let i = Math.ceil(x0 / step) * step; i < last; i += step) {
    const col = Math.floor((i - x0) / perCol)
    if (col >= 0 && col < width) out.push({col, label: `#${i + 1}`})
  }
  return out
}
