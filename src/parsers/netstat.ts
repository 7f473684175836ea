import {type ByteDecoder, ByteStrings, utf8Decoder} from './byte-strings.js'
import {ECHO_PREFIXES, HEADER_FIRST_WORDS, netstatState, PING_PREFIXES, TITLES} from './netstat-locale.js'
import {parseStamp, StampResolver} from './timestamps.js'
import type {ConnectionRecord, LineParser, Parser, ParseOptions, RecordSink, TcpState} from './types.js'

const SPACE = 32
const TAB = 9
const COLON = 58
const LBRACKET = 91
const RBRACKET = 93

const isBlank = (c: number) => c === SPACE || c === TAB

/**
 * Netstat loop logs: `%date% %time%` stamp lines (or PowerShell `Get-Date`) followed by `netstat -ano`
 * style tables, any of `-an`, `-ano`, `-anob`, `-anoq`, `-anobq`, `-p tcp|udp`, localized.
 *
 * Hot path: rows are recognised by their first characters and split by scanning for whitespace runs
 * (never by offset: long addresses push columns right). The row record is reused; strings are sliced
 * only for the two addresses, and reused while they repeat.
 */
class NetstatLineParser implements LineParser {
  private readonly rec: ConnectionRecord = {
    proto: 'TCP',
    localAddr: '',
    localPort: -1,
    remoteAddr: '',
    remotePort: -1,
    state: null,
    pid: -1,
    process: null,
    created: null,
    line: 0,
    localAddrId: -1,
    remoteAddrId: -1,
  }
  /** A parsed row waiting for its `-b` owner lines. */
  private pending = false
  /** Owner lines may follow the last row (or its owner lines) until another kind of line comes. */
  private ownerZone = false
  /** A row-like line that did not parse: malformed, or truncated when it turns out to be the last line. */
  private broken: {line: number; raw: string} | null = null
  /** An unknown line that may be a header in an unknown language, decided by the next line. */
  private maybeHeader: {line: number; raw: string} | null = null
  private readonly stamps = new StampResolver()
  private rowsInSnapshot = 0
  private snapshots = 0
  private lastStampLine = 0
  private lastStateBytes: Uint8Array = new Uint8Array(0)
  private readonly lastLocal = new Uint8Array(65).fill(255)
  private readonly lastRemote = new Uint8Array(65).fill(255)
  private lastState: TcpState | null = null
  private readonly decode: ByteDecoder
  private readonly strings: ByteStrings
  private readonly starId: number
  private hasPid = false
  private hasOwner = false
  private hasBound = false
  private lastLineWasRow = false
  private readonly tok = new Int32Array(16)

  constructor(
    private readonly sink: RecordSink,
    private readonly options: ParseOptions,
  ) {
    this.decode = options.decodeBytes ?? utf8Decoder
    const ids = options.addressIds
    this.strings = new ByteStrings(this.decode, 4096, ids ? (s) => ids.id(s) : undefined)
    this.starId = ids ? ids.id('*') : -1
  }

  line(text: string, no: number): void {
    const n = text.length
    let i = 0
    while (i < n && isBlank(text.charCodeAt(i))) i++
    if (this.broken) this.flushBroken()
    if (i === n) {
      this.settleMaybeHeader(false)
      this.flush()
      this.ownerZone = this.ownerZone && this.hasOwner
      this.sink.structure()
      this.lastLineWasRow = false
      return
    }
    const c = text.charCodeAt(i)
    if (
      ((c === 84 && text.charCodeAt(i + 1) === 67 && text.charCodeAt(i + 2) === 80) ||
        (c === 85 && text.charCodeAt(i + 1) === 68 && text.charCodeAt(i + 2) === 80)) &&
      isBlank(text.charCodeAt(i + 3))
    ) {
      // Rows are parsed from bytes on both paths; leading blanks are one byte each in UTF-8.
      const bytes = Buffer.from(text, 'utf8')
      this.rowLine(bytes, i, bytes.length, no, text, utf8Decoder, 0)
      return
    }
    this.otherLine(text, i, no)
  }

  lineBytes(buf: Buffer, start: number, end: number, no: number): void {
    let i = start
    while (i < end && isBlank(buf[i]!)) i++
    const c = buf[i]
    if (
      i + 3 < end &&
      ((c === 84 && buf[i + 1] === 67 && buf[i + 2] === 80) || (c === 85 && buf[i + 1] === 68 && buf[i + 2] === 80)) &&
      isBlank(buf[i + 3]!)
    ) {
      if (this.broken) this.flushBroken()
      this.rowLine(buf, i, end, no, null, this.decode, start)
      return
    }
    this.line(this.decode(buf, start, end), no)
  }

  private rowLine(buf: Buffer, i: number, end: number, no: number, text: string | null, decode: ByteDecoder, lineStart: number): void {
    this.settleMaybeHeader(true)
    this.flush()
    if (this.row(buf, i, end, no, decode)) {
      this.lastLineWasRow = true
      return
    }
    this.broken = {line: no, raw: text ?? decode(buf, lineStart, end)}
    this.ownerZone = false
    this.lastLineWasRow = false
  }

  private otherLine(text: string, i: number, no: number): void {
    this.lastLineWasRow = false
    if (this.ownerZone && this.ownerLine(text, i)) {
      this.sink.structure()
      return
    }
    this.flush()
    this.ownerZone = false
    this.other(text, i, no)
  }

  /** Parses a row whose protocol starts at byte `start`. Returns false when it is not a complete row. */
  private row(buf: Buffer, start: number, n: number, no: number, decode: ByteDecoder): boolean {
    const tok = this.tok
    let count = 0
    let i = start
    while (i < n && count < 8) {
      while (i < n && isBlank(buf[i]!)) i++
      if (i >= n) break
      tok[count * 2] = i
      while (i < n && !isBlank(buf[i]!)) i++
      tok[count * 2 + 1] = i
      count++
    }
    if (count < 3) return false
    const rec = this.rec
    const udp = buf[start] === 85
    rec.proto = udp ? 'UDP' : 'TCP'
    if (!this.address(buf, tok[2]!, tok[3]!, true) || !this.address(buf, tok[4]!, tok[5]!, false)) return false
    rec.state = null
    rec.pid = -1
    if (udp) {
      if (count === 4) {
        const pid = digits(buf, tok[6]!, tok[7]!)
        if (pid < 0) return false
        rec.pid = pid
      } else if (count !== 3) return false
    } else {
      if (count < 4) return false
      // A PID is a trailing number; a state may be two words in some languages (`IN ASCOLTO`).
      let stateEnd = count
      const pid = count >= 5 ? digits(buf, tok[(count - 1) * 2]!, tok[(count - 1) * 2 + 1]!) : -1
      if (pid >= 0) {
        rec.pid = pid
        stateEnd = count - 1
      }
      const state = this.state(buf, tok[6]!, tok[(stateEnd - 1) * 2 + 1]!, stateEnd - 3 > 1, decode)
      if (!state) return false
      rec.state = state
      if (state === 'BOUND') this.hasBound = true
    }
    if (rec.pid >= 0) this.hasPid = true
    rec.process = null
    rec.line = no
    if (this.snapshots === 0) this.startSnapshot(no, null)
    this.rowsInSnapshot++
    this.pending = true
    this.ownerZone = true
    return true
  }

  /** The state word at bytes [s, e): the last one seen again, or a word looked up (English or localized). */
  private state(buf: Buffer, s: number, e: number, words: boolean, decode: ByteDecoder): TcpState | undefined {
    const last = this.lastStateBytes
    if (last.length === e - s) {
      let k = 0
      while (k < last.length && last[k] === buf[s + k]) k++
      if (k === last.length) return this.lastState ?? undefined
    }
    const word = decode(buf, s, e)
    const state = netstatState(words ? word.replace(/\s+/g, '_') : word)
    if (state) {
      this.lastStateBytes = Uint8Array.prototype.slice.call(buf, s, e)
      this.lastState = state
    }
    return state
  }

  /** Splits `addr:port` (`[v6%zone]:port`, `*:*`, `host:https`) into the record. */
  private address(buf: Buffer, s: number, e: number, local: boolean): boolean {
    let colon = e - 1
    while (colon > s && buf[colon] !== COLON) colon--
    if (colon <= s) {
      if (e - s === 1 && buf[s] === 42) {
        ;(local ? this.lastLocal : this.lastRemote)[64] = 255
        return this.setAddr('*', -1, local, this.starId)
      }
      return false
    }
    let as = s
    let ae = colon
    if (buf[s] === LBRACKET && buf[colon - 1] === RBRACKET) {
      as = s + 1
      ae = colon - 1
    }
    const port = digits(buf, colon + 1, e)
    // Rows come sorted by local address: the local column mostly repeats the previous row's.
    const last = local ? this.lastLocal : this.lastRemote
    const len = ae - as
    if (last[64] === len) {
      let k = 0
      while (k < len && last[k] === buf[as + k]) k++
      if (k === len) return this.setAddr(local ? this.rec.localAddr : this.rec.remoteAddr, port, local, local ? this.rec.localAddrId! : this.rec.remoteAddrId!)
    }
    const addr = this.strings.get(buf, as, ae)
    // Remember the bytes behind the address now in the record (length in slot 64; 255 = none).
    if (len < 64) {
      for (let k = 0; k < len; k++) last[k] = buf[as + k]!
      last[64] = len
    } else last[64] = 255
    return this.setAddr(addr, port, local, this.strings.lastId)
  }

  private setAddr(addr: string, port: number, local: boolean, id: number): boolean {
    if (local) {
      this.rec.localAddr = addr
      this.rec.localPort = port
      this.rec.localAddrId = id
    } else {
      this.rec.remoteAddr = addr
      this.rec.remotePort = port
      this.rec.remoteAddrId = id
    }
    return true
  }

  /** `-b` owner lines after a row: ` [image.exe]`, `  Service`, ` Can not obtain …`, XP component paths. */
  private ownerLine(text: string, i: number): boolean {
    const c = text.charCodeAt(i)
    if (c === LBRACKET) {
      const close = text.lastIndexOf(']')
      if (close > i + 1 && text.slice(close + 1).trim() === '') {
        if (this.pending) this.rec.process = text.slice(i + 1, close)
        this.hasOwner = true
        this.flush()
        return true
      }
      return false
    }
    if (!this.pending) return false
    const rest = text.slice(i).trimEnd()
    if (i === 2 && !rest.includes(' ') && rest.length <= 80 && rest !== '...') return true
    if (i >= 1 && i <= 2 && (/^[A-Za-z]:\\/.test(rest) || rest === '-- unknown component(s) --')) return true
    if (i === 1 && /^[\p{L}]/u.test(rest) && !rest.includes(':')) {
      this.hasOwner = true
      return true
    }
    return false
  }

  private other(text: string, i: number, no: number): void {
    const trimmed = text.slice(i).trimEnd()
    const lower = trimmed.toLowerCase()
    const c = text.charCodeAt(i)
    if (c >= 48 && c <= 57 ? true : trimmed.length <= 80 && trimmed.includes(':')) {
      const stamp = parseStamp(trimmed)
      if (stamp) {
        this.settleMaybeHeader(false)
        this.startSnapshot(no, trimmed)
        this.stamps.add(stamp)
        this.lastStampLine = no
        this.sink.structure()
        return
      }
    }
    if (TITLES.has(lower)) {
      this.settleMaybeHeader(false)
      if (this.snapshots === 0 || this.rowsInSnapshot > 0) this.startSnapshot(no, null)
      this.sink.structure()
      return
    }
    const firstWord = lower.split(/\s/, 1)[0]!
    if (HEADER_FIRST_WORDS.has(firstWord) && trimmed.split(/\s+/).length >= 3) {
      this.settleMaybeHeader(false)
      if (this.snapshots === 0 || (this.rowsInSnapshot > 0 && this.lastStampLine < no - 3)) this.startSnapshot(no, null)
      this.sink.structure()
      return
    }
    this.settleMaybeHeader(false)
    if (trimmed === '...' || trimmed === '[snip]' || trimmed === '…' || /^\.{3,}$/.test(trimmed)) {
      this.sink.skip(no, 'elision', text)
      return
    }
    if (lower.startsWith('...') && lower.includes('truncat')) {
      this.sink.skip(no, 'truncated', text)
      this.sink.truncatedSnapshot()
      return
    }
    if (PING_PREFIXES.some((p) => lower.startsWith(p))) {
      this.sink.skip(no, 'ping', text)
      return
    }
    if (ECHO_PREFIXES.some((p) => lower.startsWith(p)) || /^[a-z]:\\[^>]*>/.test(lower) || /^ps [a-z]:\\[^>]*>/.test(lower)) {
      this.sink.skip(no, 'echo', text)
      return
    }
    if (/^[-=_*#~]{3,}$/.test(trimmed)) {
      this.sink.structure()
      return
    }
    const words = trimmed.split(/\s+/).length
    if (words >= 4 && words <= 8 && trimmed.length <= 120 && !/\d/.test(trimmed)) {
      this.maybeHeader = {line: no, raw: text}
      return
    }
    this.sink.skip(no, text.includes('\u0000') ? 'binary' : 'junk', text)
  }

  /** An unknown line of 4–8 words is a header in a language we do not know when rows follow it. */
  private settleMaybeHeader(rowFollows: boolean): void {
    const h = this.maybeHeader
    if (!h) return
    this.maybeHeader = null
    if (rowFollows) {
      if (this.snapshots === 0 || this.rowsInSnapshot > 0) this.startSnapshot(h.line, null)
      this.sink.structure()
    } else this.sink.skip(h.line, 'junk', h.raw)
  }

  private startSnapshot(line: number, stamp: string | null): void {
    if (stamp === null) this.stamps.add(null)
    this.snapshots++
    this.rowsInSnapshot = 0
    this.sink.snapshot({line, stamp})
  }

  private flush(): void {
    if (!this.pending) return
    this.pending = false
    this.sink.connection(this.rec)
  }

  private flushBroken(): void {
    const b = this.broken!
    this.broken = null
    this.sink.skip(b.line, 'malformed', b.raw)
  }

  end(endedWithNewline: boolean): void {
    this.settleMaybeHeader(false)
    this.flush()
    if (this.broken) {
      const b = this.broken
      this.broken = null
      if (endedWithNewline) this.sink.skip(b.line, 'malformed', b.raw)
      else {
        this.sink.skip(b.line, 'truncated', b.raw)
        this.sink.truncatedSnapshot()
      }
    } else if (!endedWithNewline ? this.lastLineWasRow : this.snapshots > 1 && this.rowsInSnapshot === 0) {
      // Cut mid-write: the last row has no terminator (its PID may be cut short), or a loop's netstat never ran.
      this.sink.truncatedSnapshot()
    }
    if (this.snapshots > 0) {
      const r = this.stamps.resolve(this.options.dateOrder)
      this.sink.snapshotTimes(r.times, r.order)
      if (r.source) this.sink.note('dateOrderSource', r.source)
      if (r.exceptions > 0) this.sink.note('dateOrderExceptions', `${r.exceptions} stamps only fit ${r.order === 'dmy' ? 'month' : 'day'}-first and were read that way`)
    }
    const view = `netstat -an${this.hasPid ? 'o' : ''}${this.hasOwner ? 'b' : ''}${this.hasBound ? 'q' : ''}`
    if (this.snapshots > 0) this.sink.note('view', view)
  }
}

/** Non-negative decimal in buf[s, e), or -1 when empty or not all digits. */
function digits(buf: Buffer, s: number, e: number): number {
  if (e <= s || e - s > 9) return -1
  let v = 0
  for (let i = s; i < e; i++) {
    const d = buf[i]! - 48
    if (d < 0 || d > 9) return -1
    v = v * 10 + d
  }
  return v
}

const ROW_SHAPE = /^[ \t]*(?:TCP|UDP)[ \t]+\S*:\S+[ \t]+\S+/

function detect(sample: string): number {
  let rows = 0
  let titles = 0
  let other = 0
  const lines = sample.split('\n', 2000)
  for (const l of lines) {
    const t = l.trim()
    if (t === '') continue
    if (ROW_SHAPE.test(l)) rows++
    else if (TITLES.has(t.toLowerCase()) || HEADER_FIRST_WORDS.has(t.toLowerCase().split(/\s/, 1)[0]!)) titles++
    else other++
  }
  if (rows === 0) return 0
  const share = rows / (rows + other)
  return Math.min(0.95, 0.5 + (titles > 0 ? 0.25 : 0) + Math.min(rows, 5) * 0.04 + share * 0.1)
}

export const netstatParser: Parser = {
  id: 'netstat',
  description: 'netstat -an/-ano/-anob/-anoq tables, single or in a timestamped loop (%date% %time%, Get-Date)',
  detect,
  create: (sink, options) => new NetstatLineParser(sink, options),
}
