/**
 * Pieces shared by the event parsers (`tcpip-events`, `netsh-trace`): quote-aware field splitting,
 * the lines both skip alike, level names, and an output that settles the day/month order of
 * culture-formatted dates before it lets their events through.
 */
import {isAmbiguous, parseStamp, toWallTime} from './timestamps.js'
import type {StampParts} from './timestamps.js'
import type {DateOrder, EventRecord, RecordSink, SkipReason} from '../types.js'

/**
 * Splits one delimited row (CSV `,` or tab) into fields. Quoted fields may hold the delimiter,
 * doubled quotes and line breaks (`text` may span lines joined by `\n`); spaces before an opening
 * quote are dropped. Fields are otherwise not trimmed.
 */
export function splitDelimited(text: string, delim: string): string[] {
  const fields: string[] = []
  let i = 0
  const n = text.length
  for (;;) {
    // tracerpt separates fields with `, `: a quote after leading spaces still opens a quoted field.
    let k = i
    while (text.charCodeAt(k) === 32) k++
    if (text.charCodeAt(k) === 34) {
      let value = ''
      let j = k + 1
      for (;;) {
        const q = text.indexOf('"', j)
        if (q < 0) {
          value += text.slice(j)
          j = n
          break
        }
        value += text.slice(j, q)
        if (text.charCodeAt(q + 1) === 34) {
          value += '"'
          j = q + 2
        } else {
          j = q + 1
          break
        }
      }
      // Text between a closing quote and the next delimiter is kept rather than dropped.
      const d = text.indexOf(delim, j)
      fields.push(d < 0 ? value + text.slice(j) : value + text.slice(j, d))
      if (d < 0) return fields
      i = d + delim.length
    } else {
      const d = text.indexOf(delim, i)
      fields.push(d < 0 ? text.slice(i) : text.slice(i, d))
      if (d < 0) return fields
      i = d + delim.length
    }
  }
}

/** Number of `"` in a line, odd when a quoted field stays open past its end. */
export function quoteParity(text: string): number {
  let odd = 0
  for (let i = text.indexOf('"'); i >= 0; i = text.indexOf('"', i + 1)) odd ^= 1
  return odd
}

/**
 * A delimited row whose quoted field runs past the end of its line (a message with line breaks):
 * lines are added until the quotes balance, within bounds.
 */
export class QuotedRow {
  text: string
  private lines = 1
  private parity = 1

  constructor(
    readonly line: number,
    readonly raw: string,
    readonly delim: string,
    private readonly maxLines: number,
    private readonly maxChars: number,
  ) {
    this.text = raw
  }

  /** Adds the next line: 'closed' when the quotes balance, 'overflow' past the bounds, else 'open'. */
  add(text: string): 'open' | 'closed' | 'overflow' {
    this.text += '\n' + text
    this.lines++
    this.parity ^= quoteParity(text)
    if (this.parity === 0) return 'closed'
    return this.lines > this.maxLines || this.text.length > this.maxChars ? 'overflow' : 'open'
  }
}

const PROMPT = /^(?:PS(?: [^>]{0,200})?>|[A-Za-z]:\\[^>]{0,200}>)/
const ELISION = /^(?:\.{3,}|…|\[\s*(?:\.{3}|…|snip(?:ped)?)\s*\]|<\s*snip\s*>|\(\s*snip\s*\))$/i
const TRUNCATION = /^(?:\.{3}|…)\s*\(?\s*(?:output\s+)?truncated\b/i

/** Why a line that belongs to no event is skipped: prompts, elisions, truncation markers, junk. */
export function otherReason(text: string): SkipReason {
  const t = text.trim()
  if (PROMPT.test(t)) return 'echo'
  if (ELISION.test(t)) return 'elision'
  if (TRUNCATION.test(t)) return 'truncated'
  return 'junk'
}

/** True for a PowerShell or cmd prompt line (`PS C:\> …`, `C:\Windows>…`). */
export const isPrompt = (text: string): boolean => PROMPT.test(text.trimStart())

const LEVELS: Record<string, string> = {}
const addLevels = (english: string, words: string) => {
  for (const w of words.split('|')) LEVELS[w.toLowerCase()] = english
}
// English, German and French are the documented Event Viewer cultures; the rest are best effort.
addLevels(
  'Information',
  'information|informationen|informations|info|información|informazioni|informações|informatie',
)
addLevels('Warning', 'warning|warnung|avertissement|advertencia|avviso|aviso|waarschuwing')
addLevels('Error', 'error|fehler|erreur|errore|erro|fout')
addLevels('Critical', 'critical|kritisch|critique|crítico|critico|kritiek')
addLevels('Verbose', 'verbose|ausführlich|commentaires|detallado|dettagliato|detalhado|uitgebreid')

/** Level word in English when it is a known (possibly localized) level name, else null. */
export const knownLevel = (word: string): string | null => LEVELS[word.trim().toLowerCase()] ?? null

/** The English level for a level word or an ETW level number (`3` = Warning); unknown words as written. */
export function levelName(value: string): string | null {
  const t = value.trim()
  if (t === '') return null
  if (/^\d+$/.test(t)) return ['Information', 'Critical', 'Error', 'Warning', 'Information', 'Verbose'][+t] ?? t
  return knownLevel(t) ?? t
}

// Bidi marks some Windows formatters put around date parts (`‎2023‎-‎03‎-‎10`).
const MARKS = /[\u200e\u200f\u202a-\u202e]/g
// tracefmt joins date and time with a dash: `03/10/2023-14:05:12.340`.
const DASH_JOIN = /^(\d{1,4}[/.]\d{1,2}[/.]\d{2,4})-(\d)/

/** A date-time field as written, before the day/month order is applied; null when it is none. */
export function stampOf(text: string): StampParts | null {
  let t = text.includes('\u200e') || text.includes('\u200f') ? text.replace(MARKS, '') : text
  t = t.replace(DASH_JOIN, '$1 $2').replace(/\s+UTC[+-]\d{4}$/, '')
  return parseStamp(t.trim())
}

type Pending =
  | {kind: 'event'; rec: EventRecord; stamp: StampParts | null}
  | {kind: 'structure'; count: number}
  | {kind: 'skip'; line: number; reason: SkipReason; raw: string}

/** Events held back at most while waiting for a date that settles the day/month order. */
const MAX_HELD = 4096

/**
 * Passes events, structure and skips to the sink in source order, holding them back while the
 * day/month order of culture-formatted dates (`3/10/2023`) is open: the first date that settles it
 * (a day over 12) releases them. When none comes (or too many wait), the order is the forced one,
 * else the layout's hint (a German or French header), else the Windows convention (`/` month first,
 * `.` and `-` day first). Unambiguous and year-first dates never wait for anything but their turn.
 */
export class EventOutput {
  private order: DateOrder | null
  private source: 'flag' | 'evidence' | 'hint' | 'convention' | null
  private held: Pending[] = []
  private hint: DateOrder | null = null
  private sawYearLast = false
  private host: string | null = null
  private view: string | null = null

  constructor(
    private readonly sink: RecordSink,
    forced: DateOrder | undefined,
  ) {
    this.order = forced && forced !== 'ymd' ? forced : null
    this.source = this.order ? 'flag' : null
  }

  /** The culture the layout reveals (a localized header), used when no date settles the order. */
  setHint(order: DateOrder): void {
    this.hint ??= order
  }

  /** Notes the layout once per change (`view`). */
  noteView(view: string): void {
    if (view === this.view) return
    this.view = view
    this.sink.note('view', view)
  }

  /** Notes the first computer name met (`host`). */
  noteHost(computer: string | null): void {
    if (this.host !== null || !computer) return
    this.host = computer
    this.sink.note('host', computer)
  }

  /** An event whose `time` is computed here from `stamp` when there is one, else kept. Held records are copied. */
  event(rec: EventRecord, stamp: StampParts | null): void {
    if (stamp && !stamp.yearFirst) {
      this.sawYearLast = true
      if (this.order === null) {
        if (!isAmbiguous(stamp) && stamp.a !== stamp.b) this.settle(stamp.a > 12 ? 'dmy' : 'mdy', 'evidence')
        else if (isAmbiguous(stamp)) {
          this.hold({kind: 'event', rec: {...rec}, stamp})
          if (this.held.length >= MAX_HELD) this.settle(this.fallback(), this.hint ? 'hint' : 'convention')
          return
        }
      }
    }
    if (this.held.length > 0) this.hold({kind: 'event', rec: {...rec}, stamp})
    else this.emit(rec, stamp)
  }

  structure(count = 1): void {
    if (this.held.length > 0) this.hold({kind: 'structure', count})
    else this.sink.structure(count)
  }

  skip(line: number, reason: SkipReason, raw: string): void {
    if (this.held.length > 0) this.hold({kind: 'skip', line, reason, raw})
    else this.sink.skip(line, reason, raw)
  }

  /** Releases everything held; call once at the end of the input. */
  finish(): void {
    if (this.held.length > 0) this.settle(this.fallback(), this.hint ? 'hint' : 'convention')
    if (this.sawYearLast && this.order) this.sink.note('dateOrder', `${this.order} (${this.source})`)
  }

  private fallback(): DateOrder {
    if (this.hint) return this.hint
    const first = this.held.find((p) => p.kind === 'event' && p.stamp)
    return first?.kind === 'event' && first.stamp?.sep !== '/' ? 'dmy' : 'mdy'
  }

  private settle(order: DateOrder, source: 'evidence' | 'hint' | 'convention'): void {
    if (this.order === null) {
      this.order = order
      this.source = source
    }
    const held = this.held
    this.held = []
    for (const p of held) {
      if (p.kind === 'event') this.emit(p.rec, p.stamp)
      else if (p.kind === 'structure') this.sink.structure(p.count)
      else this.sink.skip(p.line, p.reason, p.raw)
    }
  }

  private hold(p: Pending): void {
    this.held.push(p)
  }

  private emit(rec: EventRecord, stamp: StampParts | null): void {
    if (stamp) {
      const order = stamp.yearFirst ? 'ymd' : isAmbiguous(stamp) ? (this.order ?? 'mdy') : stamp.a > 12 ? 'dmy' : 'mdy'
      rec.time = toWallTime(stamp, order)
    }
    this.sink.event(rec)
  }
}
