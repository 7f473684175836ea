import type {DateOrder, WallTime} from '../types.js'
import {formatWallTime} from '../../model/wall-time.js'

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
  /** The weekdays the word before the date can name (bit 0 Sunday … bit 6 Saturday; `do` is Thursday in German, Sunday in Spanish), 0 without one. */
  weekdays: number
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

/** Weekday names and abbreviations a short date may carry, Sunday first, to a mask of the days they can name. */
const WEEKDAYS: Record<string, number> = {}
const addWeekdays = (names: string) => names.split(' ').forEach((n, i) => (WEEKDAYS[n] = (WEEKDAYS[n] ?? 0) | (1 << i % 7)))
addWeekdays('sun mon tue wed thu fri sat sunday monday tuesday wednesday thursday friday saturday')
addWeekdays('so mo di mi do fr sa sonntag montag dienstag mittwoch donnerstag freitag samstag')
addWeekdays('dim lun mar mer jeu ven sam dimanche lundi mardi mercredi jeudi vendredi samedi')
addWeekdays('dom lun mar mié jue vie sáb domingo lunes martes miércoles jueves viernes sábado')
addWeekdays('do lu ma mi ju vi sá dom lun mar mer gio ven sab')
addWeekdays('domenica lunedì martedì mercoledì giovedì venerdì sabato zo ma di wo do vr za')
addWeekdays('zondag maandag dinsdag woensdag donderdag vrijdag zaterdag dom seg ter qua qui sex sáb')
WEEKDAYS.tues = 1 << 2
WEEKDAYS.thur = WEEKDAYS.thurs = 1 << 4
WEEKDAYS.sonnabend = 1 << 6

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
    const weekdays = word === undefined ? 0 : (WEEKDAYS[word.replace(/\.$/, '')] ?? 0)
    return parts(a, +m[4]!, c, yearFirst, false, m[3]!, enUs, h, +m[7]!, +(m[8] ?? 0), frac(m[9]), weekdays)
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
  h: number, mi: number, s: number, ms: number, weekdays = 0,
): StampParts | null {
  if (h > 23 || mi > 59 || s > 60) return null
  if (a === 0 || b === 0 || c === 0) return null
  if (yearFirst ? b > 12 || c > 31 : a > 31 || b > 31 || (a > 12 && b > 12)) return null
  return {a, b, c, yearFirst, monthName, sep, englishWeekday, weekdays, h, mi, s, ms}
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

export type DateOrderSource = 'flag' | 'unambiguous' | 'evidence' | 'weekday' | 'chronology' | 'assumed'

/** The order one stamp style (numeric, year last, one date separator) was read in, and why. */
export type StyleOrder = {sep: string; order: DateOrder; source: DateOrderSource; stamps: number}

/**
 * A daylight-saving change inside one input: at stamp `index` the clock went `back` (autumn: the hour
 * repeats) or `forward` (spring: an hour is skipped) by an hour while the snapshots kept their cadence.
 * From that stamp on, times are read on the clock before the change (`shiftMs` added).
 */
export type ClockChange = {index: number; direction: 'back' | 'forward'; before: WallTime; after: WallTime; shiftMs: number}

export type Resolution = {
  times: (WallTime | null)[]
  /** The order of the style with the most stamps (`ymd` when every stamp has the year first). */
  order: DateOrder | null
  source: DateOrderSource | null
  /** Stamps that did not exist under their style's order and were read in the other one. */
  exceptions: number
  /** Every year-last style's own order, in order of first appearance. */
  styles: StyleOrder[]
  clockChanges: ClockChange[]
}

const HOUR = 3_600_000

/**
 * Collects the stamps of one input and resolves them together. The day/month order is decided per
 * stamp style (the date separator: `03/10/2023`, `10.03.2023`, `10-03-2023` are three styles, so a loop
 * that switches from en-US to de-DE half way reads each half in its own order), each from its own
 * evidence: `forced` (the flag) first; else a day or month over 12 (`unambiguous`, or `evidence` when
 * stamps of both orders are there); else weekday names that fit one order only (`weekday`:
 * `Fri 03/10/2023` is 10 March, a Friday, not 3 October, a Tuesday); else the order under which the
 * whole input runs forwards with fewer invalid dates, fewer steps back and a shorter span, beside the
 * styles already decided (`chronology`); else the Windows convention (`assumed`). Then a step back or
 * forward of about an hour that keeps the snapshots' cadence at night is read as a daylight-saving
 * change (see {@link clockChangesOf}).
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

  resolve(forced?: DateOrder): Resolution {
    const none: Resolution = {times: this.stamps.map(() => null), order: null, source: null, exceptions: 0, styles: [], clockChanges: []}
    if (!this.stamps.some((p) => p !== null)) return none
    const groups = new Map<string, number[]>()
    this.stamps.forEach((p, i) => {
      if (!p || p.yearFirst) return
      const members = groups.get(p.sep)
      if (members) members.push(i)
      else groups.set(p.sep, [i])
    })
    const decided = new Map<string, {order: DateOrder; source: DateOrderSource}>()
    const open: string[] = []
    for (const [sep, members] of groups) {
      const d = forced && forced !== 'ymd' ? {order: forced, source: 'flag' as const} : this.byEvidence(members)
      if (d) decided.set(sep, d)
      else open.push(sep)
    }
    for (const sep of open) {
      const members = groups.get(sep)!
      const byChronology = this.chronology(members, decided)
      decided.set(sep, byChronology ? {order: byChronology, source: 'chronology'} : {order: conventionOrder(this.stamps[members[0]!]!), source: 'assumed'})
    }
    const styles: StyleOrder[] = [...groups].map(([sep, members]) => ({sep, ...decided.get(sep)!, stamps: members.length}))
    // A stamp that does not exist under its style's order (03/14 when day-first) is read in the only
    // order it fits; `exceptions` counts them so the output can say so.
    let exceptions = 0
    const raw = this.stamps.map((p) => {
      if (!p) return null
      if (p.yearFirst) return toWallTime(p, 'ymd')
      const order = decided.get(p.sep)!.order
      const t = toWallTime(p, order)
      if (t !== null) return t
      const flipped = toWallTime(p, order === 'dmy' ? 'mdy' : 'dmy')
      if (flipped !== null) exceptions++
      return flipped
    })
    const main = styles.reduce<StyleOrder | null>((best, g) => (best === null || g.stamps > best.stamps ? g : best), null)
    const clockChanges = clockChangesOf(raw)
    const times = shifted(raw, clockChanges)
    return {times, order: main?.order ?? 'ymd', source: main?.source ?? 'unambiguous', exceptions, styles, clockChanges}
  }

  /** The order the stamps of one style prove by a day or month over 12, or by their weekday names; null when they do not. */
  private byEvidence(members: readonly number[]): {order: DateOrder; source: DateOrderSource} | null {
    const ps = members.map((i) => this.stamps[i]!)
    const dmyVotes = ps.filter((p) => p.a > 12).length
    const mdyVotes = ps.filter((p) => p.b > 12).length
    if (dmyVotes !== mdyVotes) return {order: dmyVotes > mdyVotes ? 'dmy' : 'mdy', source: dmyVotes > 0 && mdyVotes > 0 ? 'evidence' : 'unambiguous'}
    const byWeekday = weekdayOrder(ps)
    // As many stamps prove one order as the other: the input contradicts itself; decide, say so.
    if (dmyVotes > 0) return {order: byWeekday ?? this.chronology(members, new Map()) ?? conventionOrder(ps[0]!), source: 'evidence'}
    return byWeekday ? {order: byWeekday, source: 'weekday'} : null
  }

  /**
   * The order under which the input runs forwards with fewer invalid dates, then fewer backward steps,
   * then a shorter span, reading `members` in it and the other stamps as already decided (stamps of
   * styles still open are left out); null when both orders score the same.
   */
  private chronology(members: readonly number[], decided: ReadonlyMap<string, {order: DateOrder}>): DateOrder | null {
    const inGroup = new Set(members)
    const score = (order: DateOrder) => {
      let back = 0
      let invalid = 0
      let prev: number | null = null
      let min = Infinity
      let max = -Infinity
      this.stamps.forEach((p, i) => {
        if (!p) return
        const own = p.yearFirst ? 'ymd' : inGroup.has(i) ? order : decided.get(p.sep)?.order
        if (own === undefined) return
        const t = toWallTime(p, own)
        if (t === null) {
          if (inGroup.has(i)) invalid++
          return
        }
        if (prev !== null && t < prev) back++
        prev = t
        min = Math.min(min, t)
        max = Math.max(max, t)
      })
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

/** The order whose dates fall on the weekdays the stamps name more often, or null (no weekday names, or a tie). */
function weekdayOrder(ps: readonly StampParts[]): DateOrder | null {
  let dmy = 0
  let mdy = 0
  const fits = (p: StampParts, order: DateOrder) => {
    const t = toWallTime(p, order)
    return t !== null && (p.weekdays & (1 << new Date(t).getUTCDay())) !== 0
  }
  for (const p of ps) {
    if (p.weekdays === 0 || !isAmbiguous(p)) continue
    const d = fits(p, 'dmy')
    const m = fits(p, 'mdy')
    if (d && !m) dmy++
    else if (m && !d) mdy++
  }
  return dmy === mdy ? null : dmy > mdy ? 'dmy' : 'mdy'
}

/**
 * Daylight-saving changes in an input's stamps (in input order, untimed ones skipped). The clock goes
 * back an hour in autumn (the hour repeats: 02:59 then 02:00) and forward in spring (01:59 then 03:00).
 * A step is read as one when all of these hold: the loop's cadence (the median step forward) is under
 * 30 minutes and known from at least two steps; the step is between -1 h and 0 (back) or over 1 h
 * (forward); the step with the hour added back (or taken out) is forward and at most twice the cadence
 * plus 5 s, so the snapshots kept their cadence; and both stamps lie between 23:00 and 03:59 wall time,
 * when zones change their clocks. Any other step back stays a step back (two loops in one file).
 */
export function clockChangesOf(times: readonly (WallTime | null)[]): ClockChange[] {
  const known = times.map((t, i) => ({t, i})).filter((x): x is {t: number; i: number} => x.t !== null)
  const forward = known
    .slice(1)
    .map((x, k) => x.t - known[k]!.t)
    .filter((d) => d > 0)
    .sort((a, b) => a - b)
  if (forward.length < 2) return []
  const cadence = forward[forward.length >> 1]!
  if (cadence >= HOUR / 2) return []
  const night = (t: number) => {
    const h = new Date(t).getUTCHours()
    return h >= 23 || h <= 3
  }
  const out: ClockChange[] = []
  for (let k = 1; k < known.length; k++) {
    const before = known[k - 1]!.t
    const after = known[k]!.t
    const step = after - before
    const direction = step < 0 && step >= -HOUR ? 'back' : step > HOUR ? 'forward' : null
    if (direction === null || !night(before) || !night(after)) continue
    const kept = direction === 'back' ? step + HOUR : step - HOUR
    if (kept <= 0 || kept > 2 * cadence + 5000) continue
    out.push({index: known[k]!.i, direction, before, after, shiftMs: direction === 'back' ? HOUR : -HOUR})
  }
  return out
}

/** Times with each clock change's shift added from its stamp on. */
function shifted(times: readonly (WallTime | null)[], changes: readonly ClockChange[]): (WallTime | null)[] {
  if (changes.length === 0) return [...times]
  let shift = 0
  let next = 0
  return times.map((t, i) => {
    while (next < changes.length && changes[next]!.index <= i) shift += changes[next++]!.shiftMs
    return t === null ? null : t + shift
  })
}

/**
 * The notes a resolution leaves on its input (besides `dateOrderSource`): `dateOrderExceptions`,
 * `dateOrders` (when the input has more than one year-last style) and `clockChanges`.
 */
export function resolutionNotes(r: Resolution): Record<string, string> {
  const notes: Record<string, string> = {}
  if (r.exceptions > 0) notes.dateOrderExceptions = `${r.exceptions} stamps only fit ${r.order === 'dmy' ? 'month' : 'day'}-first and were read that way`
  if (r.styles.length > 1) notes.dateOrders = r.styles.map((g) => `${g.sep} ${g.order} (${g.source}, ${g.stamps} stamps)`).join('; ')
  if (r.clockChanges.length > 0) {
    notes.clockChanges = r.clockChanges
      .map((c) => {
        const change = `${formatWallTime(c.before).slice(0, 19)} then ${formatWallTime(c.after).slice(11, 19)}`
        const shown = c.shiftMs > 0 ? '+1 h' : '-1 h'
        return `clock ${c.direction} 1 h at snapshot ${c.index + 1} (${change}, daylight saving): later times shown ${shown}, on the clock before the change`
      })
      .join('; ')
  }
  return notes
}

/**
 * Windows conventions when nothing in the data decides: en-US writes `Tue 03/10/2023` (`%date%`) or
 * `3/10/2023 2:05:12 PM` (Get-Date), so `/` with an English weekday or AM/PM is month-first; every
 * other year-last short date (en-GB, fr, de, es, it, nl, ru…) is day-first.
 */
function conventionOrder(p: StampParts): DateOrder {
  return p.sep === '/' && p.englishWeekday ? 'mdy' : 'dmy'
}

export {formatProjected, formatWallTime, LAST_WALL_TIME} from '../../model/wall-time.js'

/** Parses one date-time field (an event's Date, a CreationTime, a Volatility `Created`). */
export function parseDateTime(text: string, order?: DateOrder): WallTime | null {
  const p = parseStamp(text.replace(/\s+UTC[+-]\d{4}$/, ''))
  if (!p) return null
  const resolved = p.yearFirst || !isAmbiguous(p) ? (p.yearFirst ? 'ymd' : p.a > 12 ? 'dmy' : 'mdy') : (order ?? conventionOrder(p))
  return toWallTime(p, resolved)
}
