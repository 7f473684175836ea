/** How a wall time is written (the JSON documents, reports, exports). */

import type {WallTime} from './records.js'

const pad = (n: number, w = 2) => String(n).padStart(w, '0')

/** The last wall time ISO 8601 writes with a four-digit year (9999-12-31T23:59:59.999). */
export const LAST_WALL_TIME = Date.UTC(9999, 11, 31, 23, 59, 59, 999)

/** `formatWallTime` for a computed time (a projection), or null past year 9999, where ISO 8601 needs five digits. */
export const formatProjected = (t: WallTime): string | null => (t > LAST_WALL_TIME || Number.isNaN(t) ? null : formatWallTime(t))

/** ISO 8601 without a zone, milliseconds always written: `2023-03-10T14:05:12.340`. */
export function formatWallTime(t: WallTime): string {
  const d = new Date(t)
  return `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}`
}
