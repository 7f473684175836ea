import {
  bannerVersion,
  isAfdName,
  isBannerTail,
  isHexCode,
  OBJECT_TYPES,
  parseCsvRow,
  parseHandleLine,
  parseProcessHeader,
  parseSearchLine,
  parseSummaryRow,
  parseTotal,
} from './lines.js'
import {detectHandleExe} from './detect.js'
import {handleCommandTarget, LoopSnapshots, loopNoise, promptCommand, stampOf} from '../shared/loop-noise.js'
import type {HandleRecord, LineParser, Parser, ParseOptions, RecordSink} from '../types.js'

const MAX_LINE = 65_536

type Summary = {
  /** The record's line: `Handle type summary:`, or the first row when the title is missing. */
  line: number
  raw: string
  byType: Record<string, number>
  sum: number
  rows: number
  total: number | null
  /** The summary was cut off by the end of a loop's input. */
  cut: boolean
  /** The record's line was itself the cut-off row, already skipped. */
  headSkipped: boolean
}

/**
 * handle.exe output of any mode, alone or in a timestamped loop: `-a`/`-p` listings (per-handle records, owner
 * from the `<image> pid: N user` block header), `-s` summaries (one handleCount per summary), name search and
 * `-v` CSV (per-handle records). Lines are handled one behind so that a last line without a terminator can be
 * told apart as cut off.
 */
class HandleExeLineParser implements LineParser {
  private readonly rec: HandleRecord = {pid: -1, process: null, type: '', name: '', afd: false, line: 0}
  /** The line before the current one, handled when the next arrives (0: none). */
  private heldText = ''
  private heldNo = 0
  /** Owner named by the current `-a`/`-p` block header. */
  private pid = -1
  private process: string | null = null
  /** Owner named by an echoed `handle -p <x>` command line, for output that has no block header (`-s -p`). */
  private cmdPid = -1
  private cmdProcess: string | null = null
  private summary: Summary | null = null
  private sawTotal = false
  private readonly loop: LoopSnapshots
  private readonly views = new Set<string>()

  constructor(
    private readonly sink: RecordSink,
    private readonly options: ParseOptions,
  ) {
    this.loop = new LoopSnapshots(sink)
  }

  line(text: string, no: number): void {
    if (this.heldNo > 0) this.handle(this.heldText, this.heldNo, false)
    this.heldText = text
    this.heldNo = no
  }

  end(endedWithNewline: boolean): void {
    if (this.heldNo > 0) this.handle(this.heldText, this.heldNo, !endedWithNewline)
    this.heldNo = 0
    if (this.summary) this.closeSummary(true)
    this.loop.end(this.options.dateOrder)
    if (this.views.size > 0) this.sink.note('view', [...this.views].join(','))
  }

  /** `cut`: the last line, without a terminator (a loop killed mid-write). */
  private handle(text: string, no: number, cut: boolean): void {
    if (text.length > MAX_LINE) {
      if (this.summary) this.closeSummary(false)
      this.sink.skip(no, 'too-long', text.slice(0, 200))
      return
    }
    let i = 0
    while (i < text.length && (text.charCodeAt(i) === 32 || text.charCodeAt(i) === 9)) i++
    const blank = i === text.length
    if (this.summary && this.summaryLine(text, blank, no, cut)) return
    if (blank) {
      this.sink.structure()
      return
    }
    const c = text.charCodeAt(0)
    if ((c === 32 || c === 9 || isHexCode(c)) && this.listingLine(text, no, cut)) return
    const trimmed = text.trim()
    if (c === 45 && /^-{3,}$/.test(trimmed)) {
      // A dashed rule opens the next process block of an `-a` listing.
      this.setOwner(-1, null)
      this.sink.structure()
      return
    }
    this.otherLine(text, trimmed, no, cut)
  }

  /** Inside a summary: rows and the total. Returns false when the line ends the summary. */
  private summaryLine(text: string, blank: boolean, no: number, cut: boolean): boolean {
    const s = this.summary!
    const row = blank ? null : parseSummaryRow(text)
    if (row) {
      if (cut && this.loop.stamped) {
        s.cut = true
        s.headSkipped = no === s.line
        this.sink.skip(no, 'truncated', text)
        return true
      }
      // Type names come from the input: never let one reach the prototype (`__proto__`, `constructor`).
      if (row.type !== '__proto__') {
        s.byType[row.type] = (Object.hasOwn(s.byType, row.type) ? s.byType[row.type]! : 0) + row.count
      }
      s.sum += row.count
      s.rows++
      if (no !== s.line) this.sink.structure()
      return true
    }
    const total = blank ? null : parseTotal(text.trim())
    if (total !== null) {
      s.total = total
      this.sawTotal = true
      this.sink.structure()
      this.closeSummary(false)
      return true
    }
    this.closeSummary(false)
    return false
  }

  private openSummary(no: number, raw: string): void {
    this.summary = {line: no, raw, byType: {}, sum: 0, rows: 0, total: null, cut: false, headSkipped: false}
    this.views.add('summary')
  }

  private closeSummary(atEnd: boolean): void {
    const s = this.summary!
    this.summary = null
    // A loop whose summaries end with `Total handles:` and whose last one does not was killed mid-write.
    const truncated = s.cut || (atEnd && s.total === null && this.sawTotal && this.loop.stamped)
    if (truncated || (s.rows === 0 && s.total === null)) {
      if (!s.headSkipped) this.sink.skip(s.line, truncated || atEnd ? 'truncated' : 'junk', s.raw)
      if (truncated && this.loop.started) this.sink.truncatedSnapshot()
      return
    }
    this.loop.ensure(s.line)
    this.sink.handleCount({
      pid: this.ownerPid() >= 0 ? this.ownerPid() : null,
      process: this.ownerProcess(),
      total: s.total ?? s.sum,
      afd: null,
      byType: s.byType,
      line: s.line,
    })
  }

  /** Lines starting with a blank or a hex digit: handle lines, summary rows without a title, ping stats. */
  private listingLine(text: string, no: number, cut: boolean): boolean {
    const h = parseHandleLine(text)
    if (h) {
      this.views.add('listing')
      this.emit(no, text, cut, this.ownerPid(), this.ownerProcess(), h.type, h.name)
      return true
    }
    const row = parseSummaryRow(text)
    if (row && (OBJECT_TYPES.has(row.type) || /^[A-Za-z<][\w <>]*$/.test(row.type))) {
      this.openSummary(no, text)
      this.summaryLine(text, false, no, cut)
      return true
    }
    return false
  }

  private otherLine(text: string, trimmed: string, no: number, cut: boolean): void {
    if (trimmed.startsWith('Handle type summary')) {
      this.openSummary(no, text)
      return
    }
    const total = parseTotal(trimmed)
    if (total !== null) {
      // A total without its rows (a trimmed paste) still states the process's handle count.
      this.sawTotal = true
      this.loop.ensure(no)
      const pid = this.ownerPid()
      const process = this.ownerProcess()
      this.sink.handleCount({pid: pid >= 0 ? pid : null, process, total, afd: null, byType: null, line: no})
      return
    }
    const version = bannerVersion(trimmed)
    if (version !== null || isBannerTail(trimmed)) {
      // Each run of handle.exe starts afresh: an owner from an earlier block does not carry over.
      if (version !== null) {
        this.setOwner(-1, null)
        this.sink.note('tool', version)
      }
      this.sink.structure()
      return
    }
    if (trimmed === 'No matching handles found.' || trimmed.startsWith('Process,PID,')) {
      if (trimmed.startsWith('Process,PID,')) this.views.add('csv')
      this.sink.structure()
      return
    }
    if (text.includes(' pid: ')) {
      const s = parseSearchLine(text)
      if (s) {
        this.views.add('search')
        this.emit(no, text, cut, s.pid, s.process, s.type, s.name)
        return
      }
      const header = parseProcessHeader(text)
      if (header) {
        this.setOwner(header.pid, header.process)
        this.sink.structure()
        return
      }
    }
    if (text.includes(',')) {
      const row = text.includes(',0x') ? parseCsvRow(text) : null
      if (row) {
        this.views.add('csv')
        this.emit(no, text, cut, row.pid, row.process, row.type, row.name)
        return
      }
      if (/^[^,]*,\d+,/.test(text)) {
        this.sink.skip(no, cut ? 'truncated' : 'malformed', text)
        return
      }
    }
    const stamp = stampOf(trimmed)
    if (stamp) {
      this.setOwner(-1, null)
      this.loop.stamp(stamp, trimmed, no)
      this.sink.structure()
      return
    }
    const reason = loopNoise(trimmed) ?? 'junk'
    if (reason === 'echo') this.echoed(trimmed)
    this.sink.skip(no, reason, text)
  }

  /** A command line echoed into the output: `handle -s -p LeakyAgent.exe` names the owner of what follows. */
  private echoed(trimmed: string): void {
    const prompted = promptCommand(trimmed)
    const target = handleCommandTarget(prompted ?? trimmed)
    if (target) {
      this.cmdPid = target.pid
      this.cmdProcess = target.process
    } else if (prompted !== null) {
      this.cmdPid = -1
      this.cmdProcess = null
    }
  }

  private hasBlockOwner(): boolean {
    return this.pid >= 0 || this.process !== null
  }

  private ownerPid(): number {
    return this.hasBlockOwner() ? this.pid : this.cmdPid
  }

  private ownerProcess(): string | null {
    return this.hasBlockOwner() ? this.process : this.cmdProcess
  }

  private setOwner(pid: number, process: string | null): void {
    this.pid = pid
    this.process = process
  }

  private emit(
    no: number, raw: string, cut: boolean, pid: number, process: string | null, type: string, name: string,
  ): void {
    if (cut && this.loop.stamped) {
      this.sink.skip(no, 'truncated', raw)
      this.sink.truncatedSnapshot()
      return
    }
    this.loop.ensure(no)
    const r = this.rec
    r.pid = pid
    r.process = process
    r.type = type
    r.name = name
    r.afd = isAfdName(type, name)
    r.line = no
    this.sink.handle(r)
  }
}

/** Sysinternals handle.exe / handle64.exe: listings, `-s` summaries, name search, `-v` CSV, and loops of them. */
export const handleExeParser: Parser = {
  id: 'handle-exe',
  description: 'Sysinternals handle.exe / handle64.exe output (-a, -p, -s, name search, -v CSV), alone or in a loop',
  detect: detectHandleExe,
  create: (sink: RecordSink, options: ParseOptions): LineParser => new HandleExeLineParser(sink, options),
}
