import {type ByteDecoder, ByteStrings, utf8Decoder} from '../shared/byte-strings.js'
import {ECHO_PREFIXES, HEADER_FIRST_WORDS, netstatState, PING_PREFIXES, TITLES} from './locale.js'
import type {RowLane} from './lane.js'
import {NetstatRowReader} from './row.js'
import {M_PID, M_STATE, MEMO_FIELDS, RowMemo, stateWord} from './row-memo.js'
import {LazyAddressRecord} from '../shared/records.js'
import {parseStamp, resolutionNotes, StampResolver} from '../shared/timestamps.js'
import type {ConnectionRecord, LineParser, ParseOptions, RecordSink} from '../types.js'
import {defineFormat} from '../types.js'

const SPACE = 32
const TAB = 9
const LBRACKET = 91
const RBRACKET = 93
const CR = 13

const isBlank = (c: number) => c === SPACE || c === TAB
const BOUND_WORD = stateWord('BOUND')

/**
 * Netstat loop logs: `%date% %time%` stamp lines (or PowerShell `Get-Date`) followed by `netstat -ano`
 * style tables, any of `-an`, `-ano`, `-anob`, `-anoq`, `-anobq`, `-p tcp|udp`, localized.
 *
 * Hot path: rows are recognised by their first characters and split by scanning for whitespace runs
 * (never by offset: long addresses push columns right). The row record is reused; strings are sliced
 * only for the two addresses, and reused while they repeat.
 */
class NetstatLineParser implements LineParser {
  // Address ids from the first row on, so the record's shape never changes in the hot path.
  private readonly rec = new LazyAddressRecord()
  /** A parsed row waiting for its `-b` owner lines: in `rec`, or (`pendingEntry` ≥ 0) still in the memo. */
  private pending = false
  private pendingEntry = -1
  private pendingLine = 0
  /** The image an owner line named for the pending memo entry (handed to the sink with it). */
  private pendingProcess: string | null = null
  /** Image names of owner lines by their bytes. */
  private readonly images: ByteStrings
  /** Where the lines taken by the last {@link rowRun} end. */
  runEnd = 0
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
  private readonly decode: ByteDecoder
  private readonly reader: NetstatRowReader
  /** Rows of the last two snapshots by their bytes: a repeated row is looked up, not parsed again. */
  private readonly memo: RowMemo | null
  private hasPid = false
  private hasOwner = false
  private hasBound = false
  private lastLineWasRow = false
  /**
   * The owner lines after the last row read the long way, while the lane may learn them (see `laneRun`):
   * in `blockBuf` (null: none) from `blockStart` (-1: not yet met) on, after that row's line and PID.
   */
  private blockBuf: Buffer | null = null
  private blockStart = -1
  private blockRow = 0
  private blockPid = 0
  /** The line just read was an owner line. */
  private ownerLineSeen = false

  constructor(
    private readonly sink: RecordSink,
    private readonly options: ParseOptions,
  ) {
    this.decode = options.decodeBytes ?? utf8Decoder
    this.images = new ByteStrings(this.decode, 256)
    this.reader = new NetstatRowReader(this.decode, options.addressIds)
    this.reader.adopt(this.rec)
    this.memo = options.rowMemo === false ? null : new RowMemo()
    this.carries = typeof sink.carried === 'function'
  }

  /** The sink takes rows straight from the memo (so runs of repeated rows need no record). */
  private readonly carries: boolean

  /**
   * Rows repeated in the order of the snapshot before: a stretch of lines is compared at once with the
   * lines those rows were met on there (`gallop`), else each line with the row expected next, whole
   * (`next`); rows go to the sink as memo entries, nothing is split, parsed or restored. The first line
   * that is neither ends the run and takes the long way (`lineBytes`). `-b` loops (owner lines after
   * every row) always take the long way, but for what the lane takes. Before any of that, the sink's row
   * lane (when it has one) takes what plain rows it can, and in `-b` loops rows with the owner lines it
   * learned for their PID: measured on the bench loops it is cheaper than the memo, repeats or not.
   */
  rowRun(buf: Buffer, start: number, end: number, line: number): number {
    const memo = this.memo
    // Plain rows go to the lane (cheaper than the memo's lookups, even on loops whose rows repeat); what it
    // leaves, to the memo or the long way.
    if (this.snapshots > 0 && this.broken === null && this.maybeHeader === null) {
      const lane = this.lane === undefined ? this.findLane() : this.lane
      if (lane !== null) {
        const n = this.laneRun(lane, buf, start, end, line)
        if (n > 0) return n
      }
    }
    // In `-b` loops an owner line follows every row: runs would be one row long and gain nothing.
    if (memo === null || !this.carries || this.hasOwner || this.snapshots === 0 || this.broken !== null || this.maybeHeader !== null) return 0
    const from = memo.position
    let n = 0
    let p = start
    for (;;) {
      // Long stretches of the snapshot before at once, else one row at a time.
      const m = memo.gallop(buf, p, end)
      if (m > 0) {
        for (let i = 0; i < m; i++) this.carry(memo.prevEntry(memo.gallopFrom + i), line + n + i)
        n += m
      } else {
        const e = memo.next(buf, p, end)
        if (e < 0) break
        this.carry(e, line + n)
        n++
      }
      p = memo.nextEnd
    }
    if (n === 0) return 0
    memo.imageRun(buf, start, p, from, n)
    this.rowsInSnapshot += n
    this.ownerZone = true
    this.lastLineWasRow = true
    this.runEnd = p
    return n
  }

  /** The sink's row lane (undefined: not asked yet; see RecordSink.rowLane), and the buffer staged in it. */
  private lane: RowLane | null | undefined
  private laneBuf: Buffer | null = null

  private findLane(): RowLane | null {
    this.lane = process.env.PORTLEAK_LANE === '0' || !this.carries ? null : (this.sink.rowLane?.() ?? null)
    return this.lane
  }

  /**
   * Lines the lane takes at once (rows parsed and aggregated in the kernel, no record, and in `-b` loops
   * their owner lines), from `start` on: what `lineBytes` would do with each (the row held for owner lines
   * is handed on first). The lane leaves the last row before another kind of line, a row whose owner lines
   * it has not learned, and every line it cannot read, to the long way. Owner lines that the long way read
   * after a row, up to the row at `start`, are what the lane learns for that row's PID first.
   */
  private laneRun(lane: RowLane, buf: Buffer, start: number, end: number, line: number): number {
    if (this.laneBuf !== buf) {
      if (!lane.stage(buf, start, end)) {
        this.lane = null
        return 0
      }
      this.laneBuf = buf
    }
    if (this.blockBuf === buf && this.blockStart >= 0 && this.hasOwner && rowAt(buf, start, end)) {
      // The row at `start` ends the owner lines of the row before (handed on here, as the row would).
      this.flush()
      lane.learn(this.blockStart, start, this.blockPid, this.blockRow)
      this.blockBuf = null
    }
    const star = this.reader.star
    let n = lane.take(start, line, star, this.pending, this.hasOwner)
    if (n < 0) {
      this.flush()
      n = lane.take(start, line, star, false, this.hasOwner)
    }
    if (n <= 0) return 0
    this.sink.rowsTaken?.(lane.runCounts)
    const owners = lane.runOwnerLines
    if (owners > 0) this.sink.structure(owners)
    if (lane.runBound) this.hasBound = true
    if (lane.runPid) this.hasPid = true
    this.rowsInSnapshot += n - owners
    this.ownerZone = true
    this.lastLineWasRow = owners === 0
    this.runEnd = lane.runEnd
    return n
  }

  bytes(buf: Buffer | null): void {
    this.reader.stage(buf)
    this.laneBuf = null
    this.blockBuf = null
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
    if (this.blockBuf !== null && this.blockStart < 0) this.blockStart = start
    let i = start
    while (i < end && isBlank(buf[i]!)) i++
    if (rowFrom(buf, i, end)) {
      if (this.broken) this.flushBroken()
      this.rowLine(buf, i, end, no, null, this.decode, start)
      this.watchOwners(buf, no)
      return
    }
    if (buf[i] === LBRACKET && this.pending && this.ownerZone && this.broken === null && this.ownerBytes(buf, i, end)) return
    this.ownerLineSeen = false
    this.line(this.decode(buf, start, end), no)
    if (!this.ownerLineSeen) this.blockBuf = null
  }

  /** After a row read the long way (line `no` of `buf`): the owner lines after it are watched, for the lane to learn. */
  private watchOwners(buf: Buffer, no: number): void {
    if (!this.lastLineWasRow || this.lane === null) {
      this.blockBuf = null
      return
    }
    this.blockBuf = buf
    this.blockStart = -1
    this.blockRow = no
    this.blockPid = this.pendingEntry >= 0 ? this.memo!.fields[this.pendingEntry * MEMO_FIELDS + M_PID]! : this.rec.pid
  }

  /**
   * An owner line `[image.exe]` (blanks or CR after it) naming the pending row's image, read from its bytes
   * (the image names of a loop are a handful: their strings are kept by their bytes); what `line` would do
   * with it. False, having done nothing, for any other line (those take the long way).
   */
  private ownerBytes(buf: Buffer, i: number, end: number): boolean {
    let close = end - 1
    while (close > i && (isBlank(buf[close]!) || buf[close] === CR)) close--
    if (buf[close] !== RBRACKET || close <= i + 1) return false
    const name = this.images.get(buf, i + 1, close)
    if (this.pendingEntry >= 0) this.pendingProcess = name
    else this.rec.process = name
    this.lastLineWasRow = false
    this.hasOwner = true
    this.flush()
    this.sink.structure()
    return true
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
      this.ownerLineSeen = true
      this.sink.structure()
      return
    }
    this.flush()
    this.ownerZone = false
    this.other(text, i, no)
  }

  /** Parses a row whose protocol starts at byte `start` into the record. False when it is not a complete row. */
  private row(buf: Buffer, start: number, n: number, no: number, decode: ByteDecoder): boolean {
    const rec = this.rec
    const memo = this.memo
    const entry = memo ? memo.find(buf, start, n) : -1
    if (entry >= 0 && this.carries && this.snapshots > 0) {
      // A row of the snapshot before: handed on as its memo entry (with the image an owner line may name).
      this.carry(entry, no)
      this.rowsInSnapshot++
      this.ownerZone = true
      return true
    }
    if (entry >= 0) memo!.restore(entry, rec)
    else if (this.reader.read(buf, start, n, decode, rec)) memo?.add(buf, start, n, rec)
    else return false
    if (rec.state === 'BOUND') this.hasBound = true
    if (rec.pid >= 0) this.hasPid = true
    rec.line = no
    if (this.snapshots === 0) this.startSnapshot(no, null)
    this.rowsInSnapshot++
    this.pending = true
    this.ownerZone = true
    return true
  }

  /** `-b` owner lines after a row: ` [image.exe]`, `  Service`, ` Can not obtain …`, XP component paths. */
  private ownerLine(text: string, i: number): boolean {
    const c = text.charCodeAt(i)
    if (c === LBRACKET) {
      const close = text.lastIndexOf(']')
      if (close > i + 1 && text.slice(close + 1).trim() === '') {
        if (this.pending) {
          const name = text.slice(i + 1, close)
          if (this.pendingEntry >= 0) this.pendingProcess = name
          else this.rec.process = name
        }
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
    this.memo?.nextSnapshot()
    this.snapshots++
    this.rowsInSnapshot = 0
    this.sink.snapshot({line, stamp})
    // Closing the last snapshot may have renumbered the consumer's address ids.
    const map = this.reader.followAddresses()
    if (map !== null) this.memo?.remapAddresses(map)
  }

  private flush(): void {
    if (!this.pending) return
    this.pending = false
    const e = this.pendingEntry
    if (e < 0) this.sink.connection(this.rec)
    else {
      this.pendingEntry = -1
      const process = this.pendingProcess
      this.pendingProcess = null
      this.sink.carried!(this.memo!, e, this.pendingLine, process)
    }
  }

  /** Memo entry e, from line `line`, is the next row (the one before it is complete). */
  private carry(e: number, line: number): void {
    this.flush()
    this.pending = true
    this.pendingEntry = e
    this.pendingLine = line
    if (!this.hasBound || !this.hasPid) {
      const f = this.memo!.fields
      if (f[e * MEMO_FIELDS + M_STATE] === BOUND_WORD) this.hasBound = true
      if (f[e * MEMO_FIELDS + M_PID]! >= 0) this.hasPid = true
    }
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
      for (const [key, value] of Object.entries(resolutionNotes(r))) this.sink.note(key, value)
    }
    const view = `netstat -an${this.hasPid ? 'o' : ''}${this.hasOwner ? 'b' : ''}${this.hasBound ? 'q' : ''}`
    if (this.snapshots > 0) this.sink.note('view', view)
  }
}

/** A row starts at buf[start] (after blanks: TCP or UDP and a blank, before `end`). */
function rowAt(buf: Buffer, start: number, end: number): boolean {
  let i = start
  while (i < end && isBlank(buf[i]!)) i++
  return rowFrom(buf, i, end)
}

/** buf[i…] (its blanks skipped) is a row's start: TCP or UDP and a blank, before `end`. */
function rowFrom(buf: Buffer, i: number, end: number): boolean {
  const c = buf[i]
  return (
    i + 3 < end &&
    ((c === 84 && buf[i + 1] === 67 && buf[i + 2] === 80) || (c === 85 && buf[i + 1] === 68 && buf[i + 2] === 80)) &&
    isBlank(buf[i + 3]!)
  )
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

export const netstatParser = defineFormat({
  id: 'netstat',
  title: 'netstat table or loop',
  version: '1.0',
  description: 'netstat -an/-ano/-anob/-anoq tables, single or in a timestamped loop (%date% %time%, Get-Date)',
  commands: [
    'netstat -ano',
    'netstat -anob',
    'netstat -anoq',
    'for /l %i in (0,0,1) do (echo %date% %time% & netstat -ano & ping -n 61 127.0.0.1 >nul)',
    'while ($true) { Get-Date; netstat -ano; Start-Sleep 60 }',
  ],
  records: ['connection'],
  samples: [
    {
      name: 'netstat -ano, one snapshot',
      lines: [
        '',
        'Active Connections',
        '',
        '  Proto  Local Address          Foreign Address        State           PID',
        '  TCP    0.0.0.0:135            0.0.0.0:0              LISTENING       1012',
        '  TCP    10.0.0.5:49702         10.0.0.9:443           ESTABLISHED     4312',
        '  TCP    10.0.0.5:49703         10.0.0.9:443           TIME_WAIT       0',
        '  UDP    0.0.0.0:500            *:*                                    3104',
      ],
    },
    {name: 'cmd loop, German, cp850', file: 'corpus/netstat/loop-de-cp850.txt'},
    {name: 'en-GB loop, UTF-16LE with BOM', file: 'corpus/netstat/loop-en-gb-utf16le-bom.txt'},
  ],
  detect,
  create: (sink, options) => new NetstatLineParser(sink, options),
})
