import type {DateOrder, WallTime} from '../types.js'

/**
 * A date-time as written, before the day/month order is known.
 * For numeric dates `a`, `b`, `c` are the three numbers in written order; `yearFirst` tells
 * whether `a` is the year. When the month was written as a name, `monthName` is true and the
 * parts are already (year, month, day) with `yearFirst` true.
 */
export type StampParts = {
  a: number
  b: number
  c: number
  yearFirst: boolean
  monthName: boolean
  /** Date separator as written (`/`, `.`, `-`), or '' for month-name dates. */
  sep: string
  /** True when an English weekday name preceded the date (en-US `%date%`) or an AM/PM marker followed it. */
  englishWeekday: boolean
  h: number
  mi: number
  s: number
  ms: number
}

const MONTHS: Record<string, number> = {}
const addMonths = (names: string) => names.split(' ').forEach((n, i) => (MONTHS[n] = (i % 12) + 1))
addMonths('january february march april may june july august september october november december')
addMonths('jan feb mar apr may jun jul aug sep oct nov dec')
addMonths('januar februar märz april mai juni juli august september oktober november dezember')
addMonths('janvier février mars avril mai juin juillet août septembre octobre novembre décembre')
addMonths('enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre')
addMonths('gennaio febbraio marzo aprile maggio giugno luglio agosto settembre ottobre novembre dicembre')
addMonths('janeiro fevereiro março abril maio junho julho agosto setembro outubro novembro dezembro')
addMonths('januari februari maart april mei juni juli augustus september oktober november december')

const EN_WEEKDAYS = new Set(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'])

// Numeric date, optional weekday word before it, time with optional fraction (`.` or `,`), optional AM/PM.
// Hours may carry a leading space (`%time%` pads hours < 10 with a space).
const NUMERIC =
  /^\s*(?:([^\d\s,]{1,14})[.,]?\s+)?(\d{1,4})([/.-])(\d{1,2})\3(\d{1,4})\.?(?:,|\s)\s*(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,7}))?)?\s*([AaPp]\.?[Mm]\.?|오전|오후|午前|午後|上午|下午)?\s*(Z|UTC|GMT|[+-]\d{2}:?\d{2})?\s*$/u
// Time before an AM/PM marker in Korean/CJK style: `2020-08-28 오후 12:52:04`
const NUMERIC_MARKER_FIRST =
  /^\s*(\d{4})([/.-])(\d{1,2})\2(\d{1,2})\.?\s+(오전|오후|午前|午後|上午|下午|AM|PM)\s*(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,7}))?)?\s*$/u
const ISO = /^\s*(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?\s*(Z|UTC|GMT|[+-]\d{2}:?\d{2})?\s*$/
// `Friday, March 10, 2023 2:05:12 PM` · `Freitag, 10. März 2023 14:05:12` · `vendredi 10 mars 2023 14:05:12`
const LONG =
  /^\s*(?:([^\d\s,]+),?\s+)?(?:(\d{1,2})\.?\s+([^\d\s,.]+)\.?|([^\d\s,.]+)\.?\s+(\d{1,2}),?)\s+(?:de\s+)?(\d{4}),?\s+(?:à\s+)?(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AaPp]\.?[Mm]\.?)?\s*$/u

const PM = new Set(['p', '오후', '午後', '下午', 'P'])

function hour12(h: number, marker: string | undefined): number {
  if (!marker) return h
  const pm = PM.has(marker) || PM.has(marker.charAt(0).toLowerCase())
  if (pm && h < 12) return h + 12
  if (!pm && h === 12) return 0
  return h
}

const frac = (s: string | undefined) => (s ? Math.round(Number(`0.${s}`) * 1000) : 0)

/**
 * Parses a text that is one date-time and nothing else (a loop's stamp line, a date field).
 * Returns null when the text is not a date-time. Cheap rejection first: callers run this on
 * every non-row line of large files.
 */
export function parseStamp(text: string): StampParts | null {
  if (text.length < 8 || text.length > 80 || !text.includes(':')) return null
  let m = ISO.exec(text)
  if (m) return parts(+m[1]!, +m[2]!, +m[3]!, true, false, '-', false, +m[4]!, +m[5]!, +(m[6] ?? 0), frac(m[7]))
  m = NUMERIC.exec(text)
  if (m) {
    const word = m[1]?.toLowerCase()
    const a = +m[2]!
    const yearFirst = m[2]!.length >= 3
    if (yearFirst ? m[5]!.length > 2 : m[5]!.length === 1 || m[5]!.length === 3) return null
    const c = !yearFirst && m[5]!.length === 2 ? 2000 + +m[5]! : +m[5]!
    const h = hour12(+m[6]!, m[10])
    const enUs = (word !== undefined && EN_WEEKDAYS.has(word)) || /^[AaPp]/.test(m[10] ?? '')
    return parts(a, +m[4]!, c, yearFirst, false, m[3]!, enUs, h, +m[7]!, +(m[8] ?? 0), frac(m[9]))
  }
  m = NUMERIC_MARKER_FIRST.exec(text)
  if (m) return parts(+m[1]!, +m[3]!, +m[4]!, true, false, m[2]!, false, hour12(+m[6]!, m[5]), +m[7]!, +(m[8] ?? 0), frac(m[9]))
  m = LONG.exec(text)
  if (m) {
    const monthWord = (m[3] ?? m[4])!.toLowerCase()
    const month = MONTHS[monthWord]
    if (month === undefined) return null
    const day = +(m[2] ?? m[5])!
    const word = m[1]?.toLowerCase()
    return parts(+m[6]!, month, day, true, true, '', word !== undefined && EN_WEEKDAYS.has(word), hour12(+m[7]!, m[10]), +m[8]!, +(m[9] ?? 0), 0)
  }
  return null
}

function parts(
  a: number, b: number, c: number, yearFirst: boolean, monthName: boolean, sep: string, englishWeekday: boolean,
  h: number, mi: number, s: number, ms: number,
): StampParts | null {
  if (h > 23 || mi > 59 || s > 60) return null
  if (a === 0 || b === 0 || c === 0) return null
  if (yearFirst ? b > 12 || c > 31 : a > 31 || b > 31 || (a > 12 && b > 12)) return null
  return {a, b, c, yearFirst, monthName, sep, englishWeekday, h, mi, s, ms}
}

/** The wall time of parts under a day/month order, or null when the date does not exist. */
export function toWallTime(p: StampParts, order: DateOrder): WallTime | null {
  let y: number, mo: number, d: number
  if (p.yearFirst) [y, mo, d] = [p.a, p.b, p.c]
  else if (order === 'mdy') [y, mo, d] = [p.c, p.a, p.b]
  else [y, mo, d] = [p.c, p.b, p.a]
  if (mo < 1 || mo > 12 || d < 1 || d > 31) return null
  const t = Date.UTC(y, mo - 1, d, p.h, p.mi, p.s, p.ms)
  const back = new Date(t)
  if (back.getUTCDate() !== d || back.getUTCMonth() !== mo - 1) return null
  return t
}

/** True when the parts leave the day/month order open (numeric, year last, both ≤ 12, different). */
export const isAmbiguous = (p: StampParts) => !p.yearFirst && p.a <= 12 && p.b <= 12 && p.a !== p.b

export type DateOrderSource = 'flag' | 'unambiguous' | 'evidence' | 'chronology' | 'assumed'

/**
 * Collects the stamps of one input and resolves them together: the day/month order is decided from
 * the whole input (a component > 12, then chronology), else from `forced`, else assumed from the
 * separator and weekday convention (reported as `assumed`).
 */
export class StampResolver {
  private readonly stamps: (StampParts | null)[] = []

  /** Adds a stamp (or null for a snapshot without one) and returns its index. */
  add(p: StampParts | null): number {
    this.stamps.push(p)
    return this.stamps.length - 1
  }

  get size(): number {
    return this.stamps.length
  }

  resolve(forced?: DateOrder): {times: (WallTime | null)[]; order: DateOrder | null; source: DateOrderSource | null; exceptions: number} {
    const present = this.stamps.filter((p): p is StampParts => p !== null)
    if (present.length === 0) return {times: this.stamps.map(() => null), order: null, source: null, exceptions: 0}
    const yearLast = present.filter((p) => !p.yearFirst)
    let order: DateOrder
    let source: DateOrderSource
    if (yearLast.length === 0) {
      order = 'ymd'
      source = 'unambiguous'
    } else if (forced && forced !== 'ymd') {
      order = forced
      source = 'flag'
    } else {
      const dmyVotes = yearLast.filter((p) => p.a > 12).length
      const mdyVotes = yearLast.filter((p) => p.b > 12).length
      if (dmyVotes !== mdyVotes) {
        order = dmyVotes > mdyVotes ? 'dmy' : 'mdy'
        source = dmyVotes > 0 && mdyVotes > 0 ? 'evidence' : 'unambiguous'
      } else if (dmyVotes > 0) {
        // As many stamps prove one order as the other: the file contradicts itself; decide, say so.
        order = this.chronology() ?? conventionOrder(yearLast[0]!)
        source = 'evidence'
      } else {
        const byChronology = this.chronology()
        if (byChronology) {
          order = byChronology
          source = 'chronology'
        } else {
          order = conventionOrder(yearLast[0]!)
          source = 'assumed'
        }
      }
    }
    // A stamp that does not exist under the chosen order (03/14 when day-first) is read in the only
    // order it fits; `exceptions` counts them so the output can say so.
    let exceptions = 0
    const other: DateOrder = order === 'dmy' ? 'mdy' : 'dmy'
    const times = this.stamps.map((p) => {
      if (!p) return null
      const t = toWallTime(p, order)
      if (t !== null || p.yearFirst) return t
      const flipped = toWallTime(p, other)
      if (flipped !== null) exceptions++
      return flipped
    })
    return {times, order, source, exceptions}
  }

  /** The order under which the stamps run forwards with fewer backward steps and a shorter span. */
  private chronology(): DateOrder | null {
    const score = (order: DateOrder) => {
      let back = 0
      let invalid = 0
      let prev: number | null = null
      let min = Infinity
      let max = -Infinity
      for (const p of this.stamps) {
        if (!p) continue
        const t = toWallTime(p, order)
        if (t === null) {
          invalid++
          continue
        }
        if (prev !== null && t < prev) back++
        prev = t
        min = Math.min(min, t)
        max = Math.max(max, t)
      }
      return {back, invalid, span: max - min}
    }
    const d = score('dmy')
    const m = score('mdy')
    // Dates that do not exist under an order count against it first, then steps back, then the span.
    if (d.invalid !== m.invalid) return d.invalid < m.invalid ? 'dmy' : 'mdy'
    if (d.back !== m.back) return d.back < m.back ? 'dmy' : 'mdy'
    if (d.span !== m.span) return d.span < m.span ? 'dmy' : 'mdy'
    return null
  }
}

/**
 * Windows conventions when nothing in the data decides: en-US writes `Tue 03/10/2023` (`%date%`) or
 * `3/10/2023 2:05:12 PM` (Get-Date), so `/` with an English weekday or AM/PM is month-first; every
 * other year-last short date (en-GB, fr, de, es, it, nl, ru…) is day-first.
 */
function conventionOrder(p: StampParts): DateOrder {
  return p.sep === '/' && p.englishWeekday ? 'mdy' : 'dmy'
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0')

/** ISO 8601 without a zone, milliseconds always written: `2023-03-10T14:05:12.340`. */
/** The last wall time ISO 8601 writes with a four-digit year (9999-12-31T23:59:59.999). */
export const LAST_WALL_TIME = Date.UTC(9999, 11, 31, 23, 59, 59, 999)

/** `formatWallTime` for a computed time (a projection), or null past year 9999, where ISO 8601 needs five digits. */
export const formatProjected = (t: WallTime): string | null => (t > LAST_WALL_TIME || Number.isNaN(t) ? null : formatWallTime(t))

export function formatWallTime(t: WallTime): string {
  const d = new Date(t)
  return `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}`
}

/** Parses one date-time field (an event's Date, a CreationTime, a Volatility `Created`). */
export function parseDateTime(text: string, order?: DateOrder): WallTime | null {
  const p = parseStamp(text.replace(/\s+UTC[+-]\d{4}$/, ''))
  if (!p) return null
  const resolved = p.yearFirst || !isAmbiguous(p) ? (p.yearFirst ? 'ymd' : p.a > 12 ? 'dmy' : 'mdy') : (order ?? conventionOrder(p))
  return toWallTime(p, resolved)
}
