import {EventOutput, levelName, otherReason, QuotedRow, quoteParity, splitDelimited, stampOf} from '../shared/events-common.js'
import type {StampParts} from '../shared/timestamps.js'
import type {EventRecord, LineParser, Parser, ParseOptions, RecordSink, WallTime} from '../types.js'

/** Id given to AFD failures with STATUS_TOO_MANY_ADDRESSES (0x209, the status code's low word). */
export const AFD_TOO_MANY_ADDRESSES = 0x209
const AFD_SOURCE = 'Microsoft-Windows-Winsock-AFD'
const AFD_GUID = 'e53c6823-7bb8-44bb-90dc-3f86090d48a6'

const isAfd = (provider: string) => {
  const p = provider.toLowerCase()
  return p.includes('winsock-afd') || p.includes(AFD_GUID)
}

/** True for a status value meaning STATUS_TOO_MANY_ADDRESSES: `0x209`, `0xC0000209`, its name, 521. */
function tooMany(value: string, decimal: boolean): boolean {
  const v = value.trim().replace(/^"|"$/g, '').trim()
  if (/^0x[0-9a-f]{1,8}$/i.test(v)) {
    const n = parseInt(v, 16)
    return n === 0x209 || n === 0xc0000209
  }
  if (decimal && /^\d{1,10}$/.test(v)) return v === '521' || v === '3221226009'
  return v.toUpperCase() === 'STATUS_TOO_MANY_ADDRESSES'
}

// `Status 0x209`, `Status: 0xC0000209`, `Status=STATUS_TOO_MANY_ADDRESSES`, `Error 521 (0x209)`. Only a
// status or error field counts: other fields render numbers as `521 (0x209)` too (`Seq 521 (0x209)`).
const STATUS = /\b(?:status|error|ntstatus)\b\s*[:=]?\s*([A-Za-z0-9_]+)(?:\s*\(\s*(0x[0-9A-Fa-f]+)\s*\))?/gi

function statusTooMany(text: string): boolean {
  if (!/status|error/i.test(text)) return false
  for (const m of text.matchAll(STATUS)) {
    if (tooMany(m[1]!, true) || (m[2] !== undefined && tooMany(m[2], false))) return true
  }
  return false
}

const PID_FIELD = /\b(?:Process\s?ID|PID|UserModePid)\b\s*[:=]?\s*(0x[0-9A-Fa-f]+|\d+)\b/i

function pidOf(text: string): number | null {
  const m = PID_FIELD.exec(text)
  if (!m) return null
  const n = m[1]!.startsWith('0x') || m[1]!.startsWith('0X') ? parseInt(m[1]!, 16) : Number(m[1])
  return Number.isSafeInteger(n) && n > 0 ? n : null
}

/** 100-ns ticks since 1601-01-01 (UTC), as the wall time they denote; null when outside 1990–2100. */
export function filetimeToWallTime(text: string): WallTime | null {
  const t = text.trim()
  if (!/^\d{15,19}$/.test(t)) return null
  const ms = Number(BigInt(t) / 10000n) - 11644473600000
  // tracerpt -rts writes raw (QPC) timestamps in this column: those are no wall clock.
  return ms >= 631152000000 && ms <= 4102444800000 ? ms : null
}

// tracefmt / netsh trace convert prefix: `[CPU]PID.TID::<time> [Provider]message` (PID and TID hex).
const PREFIX = /^\[(\d{1,4})\]([0-9A-Fa-f]{1,8})\.([0-9A-Fa-f]{1,8})::(.{6,80}?)\s+\[([^\]]{1,200})\](.*)$/
const PREFIX_START = /^\[\d{1,4}\][0-9A-Fa-f]{1,8}\.[0-9A-Fa-f]{1,8}::/

const MAX_TEXT = 65536
const NUMBER = /^\s*(?:0x[0-9A-Fa-f]+|\d+)\s*$/

type Head = {line: number; pid: number; time: string; provider: string; text: string}
type Columns = {name: number; type: number; id: number; level: number; pid: number; clock: number; data: number}
const DEFAULT_COLUMNS: Columns = {name: 0, type: 1, id: 2, level: 5, pid: 9, clock: 16, data: 19}

/**
 * A converted `netsh trace` / ETW capture: `netsh trace convert` text (one event per line, or a head
 * line with indented field lines) and `tracerpt -of CSV`. Emits one event (id 521, source
 * Microsoft-Windows-Winsock-AFD) per AFD operation that failed with STATUS_TOO_MANY_ADDRESSES; every
 * other event of the trace is structure.
 */
class NetshTraceLineParser implements LineParser {
  private readonly out: EventOutput
  private head: Head | null = null
  private columns: Columns | null = null
  private row: QuotedRow | null = null
  private broken: {line: number; raw: string} | null = null

  constructor(sink: RecordSink, options: ParseOptions) {
    this.out = new EventOutput(sink, options.dateOrder)
  }

  line(input: string, no: number): void {
    const text = no === 1 && input.charCodeAt(0) === 0xfeff ? input.slice(1) : input
    if (this.broken) {
      this.out.skip(this.broken.line, 'malformed', this.broken.raw)
      this.broken = null
    }
    if (this.row) return this.continueRow(text)
    const c = text.charCodeAt(0)
    if (this.head && (c === 32 || c === 9) && text.trim() !== '') {
      if (this.head.text.length < MAX_TEXT) this.head.text += '\n' + text.trim()
      return this.out.structure()
    }
    this.closeHead()
    if (text.length > MAX_TEXT * 16) return this.out.skip(no, 'too-long', text.slice(0, 200))
    if (text.trim() === '') return this.out.structure()
    if (c === 91 /* [ */ && PREFIX_START.test(text)) return this.prefixed(text, no)
    if (/^\s*Event Name\s*,/.test(text) && text.includes('Clock-Time')) return this.header(text)
    if (this.csvRow(text, no)) return
    if (this.columns && text.includes(',')) this.broken = {line: no, raw: text}
    else this.out.skip(no, otherReason(text), text)
  }

  end(endedWithNewline: boolean): void {
    this.closeHead()
    if (this.row) this.out.skip(this.row.line, 'truncated', this.row.raw)
    this.row = null
    if (this.broken) this.out.skip(this.broken.line, endedWithNewline ? 'malformed' : 'truncated', this.broken.raw)
    this.broken = null
    this.out.finish()
  }

  private prefixed(text: string, no: number): void {
    const m = PREFIX.exec(text)
    if (!m) {
      this.broken = {line: no, raw: text}
      return
    }
    this.out.noteView('txt')
    this.head = {line: no, pid: parseInt(m[2]!, 16), time: m[4]!, provider: m[5]!, text: m[6]!.trim()}
  }

  /** Emits the pending text event when it is an AFD failure, else counts its head line as structure. */
  private closeHead(): void {
    const h = this.head
    if (!h) return
    this.head = null
    if (!isAfd(h.provider) || !statusTooMany(h.text)) return this.out.structure()
    const pid = pidOf(h.text) ?? (h.pid > 0 ? h.pid : null)
    this.emit({line: h.line, pid, level: null, message: h.text}, stampOfTrace(h.time), null)
  }

  private header(text: string): void {
    const cells = text.split(',').map((c) => c.trim().toLowerCase())
    const at = (name: string, fallback: number) => {
      const i = cells.indexOf(name)
      return i >= 0 ? i : fallback
    }
    const d = DEFAULT_COLUMNS
    this.columns = {
      name: at('event name', d.name),
      type: at('type', d.type),
      id: at('event id', d.id),
      level: at('level', d.level),
      pid: at('pid', d.pid),
      clock: at('clock-time', d.clock),
      data: at('user data', d.data),
    }
    this.out.noteView('csv')
    this.out.structure()
  }

  private csvRow(text: string, no: number): boolean {
    if (!text.includes(',')) return false
    const cols = this.columns ?? DEFAULT_COLUMNS
    const f = splitDelimited(text, ',')
    // Without a header, only the tracerpt shape (hex PID column, FILETIME clock) makes a row.
    if (f.length <= cols.clock) return false
    if (!this.columns && (!NUMBER.test(f[cols.pid]!) || !/^\s*\d+\s*$/.test(f[cols.clock]!))) return false
    if (quoteParity(text)) this.row = new QuotedRow(no, text, ',', 1000, 1 << 20)
    else this.csvEvent(f, no)
    return true
  }

  private continueRow(text: string): void {
    const r = this.row!
    this.out.structure()
    const state = r.add(text)
    if (state === 'open') return
    this.row = null
    if (state === 'closed') this.csvEvent(splitDelimited(r.text, ','), r.line)
    else this.out.skip(r.line, 'malformed', r.raw)
  }

  private csvEvent(f: readonly string[], no: number): void {
    const cols = this.columns ?? DEFAULT_COLUMNS
    const cell = (i: number) => (f[i] ?? '').trim()
    const data = f.slice(cols.data).map((v) => v.trim())
    if (!isAfd(cell(cols.name)) || !(data.some((v) => tooMany(v, false)) || tooMany(cell(cols.type), false))) {
      return this.out.structure()
    }
    const rawPid = cell(cols.pid)
    const pidValue = /^0x/i.test(rawPid) ? parseInt(rawPid, 16) : /^\d+$/.test(rawPid) ? Number(rawPid) : 0
    const name = cell(cols.name)
    const message = `${name}/${cell(cols.type)} (event ${cell(cols.id)}): ${data.join(', ')}`
    const pid = pidValue > 0 ? pidValue : null
    this.emit({line: no, pid, level: levelName(cell(cols.level)), message}, null, filetimeToWallTime(cell(cols.clock)))
  }

  private emit(
    e: {line: number; pid: number | null; level: string | null; message: string},
    stamp: StampParts | null,
    time: WallTime | null,
  ): void {
    const rec: EventRecord = {
      id: AFD_TOO_MANY_ADDRESSES,
      source: AFD_SOURCE,
      time,
      level: e.level,
      computer: null,
      message: e.message,
      pid: e.pid,
      line: e.line,
    }
    this.out.event(rec, stamp)
  }
}

/** A trace prefix time (`2023-03-10 14:05:12.3400000`, `03/10/2023-14:05:12.340`), maybe with a sequence number. */
function stampOfTrace(text: string): StampParts | null {
  const stamp = stampOf(text)
  if (stamp) return stamp
  const sp = text.trimEnd().lastIndexOf(' ')
  return sp > 0 ? stampOf(text.slice(0, sp)) : null
}

function detect(sample: string): number {
  try {
    const lines = sample.slice(0, 65536).split('\n', 400)
    let prefixed = 0
    let afd = false
    for (const raw of lines) {
      const line = raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw
      if (/^\s*Event Name\s*,\s*Type\s*,\s*Event ID\s*,/.test(line) && line.includes('Clock-Time')) return 0.95
      if (line.charCodeAt(0) === 91 && PREFIX.test(line.trimEnd())) {
        prefixed++
        if (isAfd(line)) afd = true
      }
    }
    if (prefixed === 0) return 0
    return Math.min(1, (prefixed >= 3 ? 0.85 : 0.6) + (afd ? 0.1 : 0))
  } catch {
    return 0
  }
}

export const netshTraceParser: Parser = {
  id: 'netsh-trace',
  description:
    'netsh trace / ETW captures converted to text (netsh trace convert, tracerpt CSV): ' +
    'Winsock-AFD STATUS_TOO_MANY_ADDRESSES failures',
  detect,
  create: (sink, options) => new NetshTraceLineParser(sink, options),
}
