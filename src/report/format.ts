import type {IsoTime} from '../model/types.js'
import {formatWallTime} from '../model/wall-time.js'
import type {WallTime} from '../model/records.js'
import {pidCell} from '../model/pid-label.js'
import {groupDigits} from '../numbers.js'

/** Locale-independent number formatting for reports: same bytes on every machine. */

/** `16384` → `16,384`; non-finite → `–`. */
export function formatInt(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '–'
  const sign = n < 0 ? '-' : ''
  return sign + groupDigits(String(Math.round(Math.abs(n))))
}

/** A rate per hour: `+1,796/h`, `-3.5/h`, `–` when unknown. One decimal below 10. */
export function formatRate(perHour: number | null | undefined): string {
  if (perHour === null || perHour === undefined || !Number.isFinite(perHour)) return '–'
  const sign = perHour > 0 ? '+' : perHour < 0 ? '-' : ''
  const abs = Math.abs(perHour)
  return `${sign}${abs < 10 ? abs.toFixed(1) : formatInt(abs)}/h`
}

/** A ratio as a percentage: `0.987` → `98.7%` (whole percent from 10 % up). */
export function formatPercent(ratio: number): string {
  if (!Number.isFinite(ratio)) return '–'
  const pct = ratio * 100
  return `${pct >= 10 || pct === 0 ? Math.round(pct) : pct.toFixed(1)}%`
}

/** Bytes as `1.4 MiB`, `812 KiB`, `512 B`. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`
  const units = ['KiB', 'MiB', 'GiB', 'TiB']
  let v = bytes / 1024
  let u = 0
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024
    u++
  }
  return `${v >= 100 ? Math.round(v) : v.toFixed(1)} ${units[u]}`
}

/** Seconds as `45 s`, `1.5 min`, `16 min`, `2 h 05 min`, `3 d 4 h`. */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '–'
  const s = Math.round(seconds)
  if (s < 60) return `${s} s`
  if (s < 5400) return `${String(Math.round(s / 6) / 10)} min`
  const m = Math.round(s / 60)
  const h = Math.floor(m / 60)
  if (h < 48) return `${h} h ${String(m % 60).padStart(2, '0')} min`
  return `${Math.floor(h / 24)} d ${h % 24} h`
}

/** An ISO time as `2026-01-14 07:00:05` (no `T`, no fraction of a second, zone kept); `–` when null. */
export function formatTime(time: IsoTime | null | undefined): string {
  if (!time) return '–'
  return time.replace('T', ' ').replace(/\.\d+(?=$|[Z+-])/, '')
}

/** A wall time as {@link formatTime} does. */
export function formatWall(t: WallTime | null | undefined): string {
  return t === null || t === undefined ? '–' : formatTime(formatWallTime(t))
}

/** A short axis label: `07:05`, or `01-14 07:05` when the span covers more than a day. */
export function formatAxisTime(t: WallTime, multiDay: boolean): string {
  const iso = formatWallTime(t)
  return multiDay ? `${iso.slice(5, 10)} ${iso.slice(11, 16)}` : iso.slice(11, 16)
}

/** Parses an `IsoTime` (zone ignored: wall clock as written) back into a wall time. */
export function parseIso(time: IsoTime | null | undefined): WallTime | null {
  if (!time) return null
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))?/.exec(time)
  if (!m) return null
  return Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!, +(m[7] ?? '0').padEnd(3, '0'))
}

/** `[4312]` → `4312`; `[5120, 6244]` → `5120, 6244`. */
export function formatPids(pids: readonly number[]): string {
  return pidCell(pids)
}

/** How far evidence lies outside the snapshots' span: `3 d 0 h after`, `5 h 00 min before`. */
export const formatDistance = (seconds: number): string => `${formatDuration(Math.abs(seconds))} ${seconds < 0 ? 'before' : 'after'}`

/** An event's time, with its distance when it lies outside the snapshots' span (`… (3 d 0 h after the snapshots)`). */
export function formatEventTime(e: {time: IsoTime | null; outsideSeconds?: number}): string {
  const t = formatTime(e.time)
  return e.outsideSeconds ? `${t} (${formatDistance(e.outsideSeconds)} the snapshots)` : t
}
