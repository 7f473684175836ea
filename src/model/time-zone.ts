import {PortleakError} from '../errors.js'
import type {InputSummary} from './types.js'

/**
 * Offset in minutes of a zone at a wall time, for `--tz`: `UTC`, `Z`, `+01:00`, `-0530`, or an IANA
 * name resolved with the runtime's own time-zone data (no network).
 */
export function zoneOffsetMinutes(tz: string, wallMs: number): number {
  const t = tz.trim()
  if (/^(utc|z|gmt)$/i.test(t)) return 0
  const m = /^([+-])(\d{2}):?(\d{2})$/.exec(t)
  if (m) {
    // Real offsets run from -12:00 to +14:00 in whole, half or quarter hours.
    const minutes = Number(m[2]) * 60 + Number(m[3])
    if (Number(m[3]) >= 60 || minutes > 14 * 60) {
      throw new PortleakError(`time zone offset '${tz}' is out of range`, 'EUSAGE', ['Offsets run from -12:00 to +14:00, e.g. +01:00 or -05:30.'])
    }
    return (m[1] === '-' ? -1 : 1) * minutes
  }
  let fmt: Intl.DateTimeFormat
  try {
    fmt = new Intl.DateTimeFormat('en-US', {timeZone: t, timeZoneName: 'longOffset'})
  } catch {
    throw new PortleakError(`unknown time zone '${tz}'`, 'EUSAGE', ['Use an IANA name like Europe/Berlin, or an offset like +01:00.'])
  }
  // The offset at the instant the wall time denotes: guess with the offset at wallMs, then refine once.
  const at = (instant: number) => {
    const name = fmt.formatToParts(new Date(instant)).find((p) => p.type === 'timeZoneName')?.value ?? 'GMT'
    const mm = /GMT([+-])(\d{2}):(\d{2})/.exec(name)
    return mm ? (mm[1] === '-' ? -1 : 1) * (Number(mm[2]) * 60 + Number(mm[3])) : 0
  }
  const first = at(wallMs)
  return at(wallMs - first * 60_000)
}

/** `2023-03-10T14:05:12.340` + zone → `2023-03-10T14:05:12.340+01:00`. */
export function withZone(iso: string, tz: string | undefined): string {
  if (!tz) return iso
  const wall = Date.parse(`${iso}Z`)
  if (Number.isNaN(wall)) return iso
  const off = zoneOffsetMinutes(tz, wall)
  if (off === 0) return `${iso}Z`
  const sign = off < 0 ? '-' : '+'
  const a = Math.abs(off)
  return `${iso}${sign}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`
}

export function zoneTimes(s: InputSummary, tz: string | undefined): InputSummary {
  if (!tz || !s.timeRange) return s
  return {...s, timeRange: {start: withZone(s.timeRange.start, tz), end: withZone(s.timeRange.end, tz)}}
}
