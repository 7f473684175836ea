import {LoopSnapshots, loopNoise, promptCommand, stampOf} from '../shared/loop-noise.js'
import {detectProcessList} from './detect.js'
import {
  csvLayout,
  isRule,
  isTasklistCsvRow,
  parseCount,
  type Role,
  roleOf,
  splitCsv,
  tableLayout,
  type TableLayout,
  readTableRow,
} from './table.js'
import {parseDateTime} from '../shared/timestamps.js'
import type {LineParser, Parser, ParseOptions, ProcessRecord, RecordSink} from '../types.js'
import {newProcess} from '../shared/records.js'

const MAX_LINE = 65_536
const MAX_BLOCK = 400
const KEY_LINE = /^([A-Za-z][\w .#()'/-]{0,40}?)\s*:(.*)$/

type Block = {lines: {no: number; raw: string}[]; keys: string[]; values: string[]; cut: boolean}

/**
 * Process lists: PowerShell `Get-Process` tables (5.1 with Handles, older `VM(M)`, 7 without Handles),
 * `Select-Object` tables, `Format-List` blocks, Export-Csv / ConvertTo-Csv, tasklist tables, `/fo csv`
 * (with or without header) and `/fo list`, alone or in a timestamped loop. Lines are handled one behind
 * so that a header can see its underline and a last unterminated line can be told apart as cut off.
 */
class ProcessListLineParser implements LineParser {
  private readonly rec: ProcessRecord = newProcess(-1)
  private held: {text: string; no: number} | null = null
  private ruleLine = 0
  private table: TableLayout | null = null
  private tableRoles: (Role | null)[] = []
  private csv: {roles: (Role | null)[]; delim: string} | null = null
  private block: Block | null = null
  private readonly loop: LoopSnapshots
  private readonly views = new Set<string>()

  constructor(
    private readonly sink: RecordSink,
    private readonly options: ParseOptions,
  ) {
    this.loop = new LoopSnapshots(sink)
  }

  line(text: string, no: number): void {
    if (this.held) this.handle(this.held.text, this.held.no, text, false)
    this.held = {text, no}
  }

  end(endedWithNewline: boolean): void {
    if (this.held) this.handle(this.held.text, this.held.no, null, !endedWithNewline)
    this.held = null
    if (this.block) this.closeBlock()
    this.loop.end(this.options.dateOrder)
    if (this.views.size > 0) this.sink.note('view', [...this.views].join(','))
  }

  private handle(text: string, no: number, next: string | null, cut: boolean): void {
    if (text.length > MAX_LINE) {
      if (this.block) this.closeBlock()
      this.sink.skip(no, 'too-long', text.slice(0, 200))
      return
    }
    if (no === this.ruleLine) {
      this.sink.structure()
      return
    }
    const trimmed = text.trim()
    if (this.block && this.blockLine(text, trimmed, no, cut)) return
    if (trimmed === '') {
      this.sink.structure()
      return
    }
    if (promptCommand(trimmed) !== null) {
      // A new command: its output brings its own header.
      this.table = null
      this.csv = null
      this.sink.skip(no, 'echo', text)
      return
    }
    if (isRule(text)) {
      this.sink.structure()
      return
    }
    const stamp = stampOf(trimmed)
    if (stamp) {
      this.loop.stamp(stamp, trimmed, no)
      this.sink.structure()
      return
    }
    if (next !== null && isRule(next) && this.header(text, next, no, cut)) return
    if (trimmed.startsWith('#TYPE ')) {
      this.csv = null
      this.sink.structure()
      return
    }
    if (this.table && this.tableRow(text, no, cut)) return
    if ((text.includes(',') || text.includes('\t')) && this.csvLine(text, no, cut)) return
    const key = KEY_LINE.exec(text)
    if (key && ((!this.table && !this.csv) || roleOf(key[1]!) !== null)) {
      this.block = {lines: [], keys: [], values: [], cut: false}
      this.blockLine(text, trimmed, no, cut)
      return
    }
    const noise = loopNoise(trimmed)
    // Numbers under a table header: a row that did not fit its columns.
    const rowLike = (this.table !== null || this.csv !== null) && /\d\s+\d/.test(trimmed)
    this.sink.skip(no, noise ?? (rowLike ? (cut ? 'truncated' : 'malformed') : 'junk'), text)
  }

  /** A line over an underline. Returns false when it is rather the last row of the current table. */
  private header(text: string, rule: string, no: number, cut: boolean): boolean {
    const layout = tableLayout(text, rule)
    // A loop may write its own `----------` separator right after a table's last row.
    if (!layout && this.table && this.tableRow(text, no, cut)) return true
    this.ruleLine = no + 1
    this.csv = null
    this.table = layout
    if (!layout) {
      this.sink.skip(no, 'junk', text)
      return true
    }
    this.tableRoles = layout.cols.map((c) => c.role)
    const labels = layout.cols.map((c) => c.label.toLowerCase())
    this.views.add(layout.kind === 'fixed' ? 'tasklist' : labels.includes('npm(k)') ? 'get-process' : 'table')
    this.sink.structure()
    return true
  }

  private tableRow(text: string, no: number, cut: boolean): boolean {
    const cells = readTableRow(this.table!, text)
    const pid = this.tableRoles.indexOf('pid')
    if (pid < 0 || !/^\d{1,10}$/.test(cells[pid]!)) {
      // tasklist /svc and /m wrap long lists onto lines with only the last column filled.
      if (this.table!.kind === 'fixed' && cells[0] === '' && cells[1] === '' && /^\s/.test(text)) {
        this.sink.structure()
        return true
      }
      return false
    }
    this.emit(no, text, cut, this.tableRoles, cells)
    return true
  }

  private csvLine(text: string, no: number, cut: boolean): boolean {
    const delim = this.csv?.delim ?? (count(text, '\t') > count(text, ',') ? '\t' : ',')
    const fields = splitCsv(text, delim)
    if (this.csv) {
      const roles = this.csv.roles
      const pid = roles.indexOf('pid')
      if (fields && fields.length === roles.length && /^\d{1,10}$/.test(fields[pid]!.trim())) {
        this.emit(no, text, cut, roles, fields)
        return true
      }
      if (fields && this.csvHeader(fields, delim)) {
        this.sink.structure()
        return true
      }
      const short = !fields || fields.length < roles.length
      this.sink.skip(no, cut && short ? 'truncated' : 'malformed', text)
      if (cut && short && this.loop.stamped) this.sink.truncatedSnapshot()
      return true
    }
    if (!fields) return false
    if (this.csvHeader(fields, delim)) {
      this.table = null
      this.sink.structure()
      return true
    }
    if (text.startsWith('"') && isTasklistCsvRow(fields)) {
      this.views.add('tasklist-csv')
      this.emit(no, text, cut, TASKLIST_ROLES, fields)
      return true
    }
    return false
  }

  private csvHeader(fields: string[], delim: string): boolean {
    const roles = csvLayout(fields)
    if (!roles) return false
    this.csv = {roles, delim}
    const tasklist = roles[0] === 'name' && roles[1] === 'pid' && /^session/i.test(fields[2] ?? '')
    this.views.add(delim === '\t' ? 'tsv' : tasklist ? 'tasklist-csv' : 'csv')
    return true
  }

  /** A `Format-List` / `tasklist /fo list` line. Returns false when the line ends the block without joining it. */
  private blockLine(text: string, trimmed: string, no: number, cut: boolean): boolean {
    const b = this.block!
    if (trimmed === '') {
      this.closeBlock()
      return false
    }
    const c = text.charCodeAt(0)
    if ((c === 32 || c === 9) && b.lines.length > 0) {
      b.lines.push({no, raw: text})
      b.cut = cut
      return true
    }
    const m = KEY_LINE.exec(text)
    if (!m || stampOf(trimmed) || promptCommand(trimmed) !== null) {
      this.closeBlock()
      return false
    }
    const key = m[1]!.trim()
    // Without blank lines between blocks, a repeated field starts the next block (`Format-List *` has both
    // `Handles` and `HandleCount`, `Name` and `ProcessName`: the same role twice is not a repetition).
    if (b.lines.length >= MAX_BLOCK || b.keys.includes(key)) {
      this.closeBlock()
      this.block = {lines: [], keys: [], values: [], cut: false}
      return this.blockLine(text, trimmed, no, cut)
    }
    b.lines.push({no, raw: text})
    b.keys.push(key)
    b.values.push(m[2]!.trim())
    b.cut = cut
    return true
  }

  private closeBlock(): void {
    const b = this.block!
    this.block = null
    const roles = b.keys.map((k) => roleOf(k))
    const pid = roles.indexOf('pid')
    const foreign = b.keys.some((k) => /^(?:LocalAddress|OwningProcess|RemoteAddress|Protocol|Start Port)$/i.test(k))
    // tasklist /fo list in other languages: the block starts with the image name.
    if (pid > 0 && !roles.includes('name') && roles[0] === null) roles[0] = 'name'
    const named = roles.includes('name') || roles.includes('handles')
    const ok = !foreign && pid >= 0 && /^\d{1,10}$/.test(b.values[pid]!) && named
    const first = b.lines[0]
    if (!first) return
    if (!ok || (b.cut && this.loop.stamped)) {
      this.sink.skip(first.no, ok ? 'truncated' : 'junk', first.raw)
      if (ok) {
        this.sink.structure(b.lines.length - 1)
        this.sink.truncatedSnapshot()
      } else {
        for (const l of b.lines.slice(1)) this.sink.skip(l.no, 'junk', l.raw)
      }
      return
    }
    this.views.add('list')
    this.emit(first.no, first.raw, false, roles, b.values)
    this.sink.structure(b.lines.length - 1)
  }

  private emit(no: number, raw: string, cut: boolean, roles: readonly (Role | null)[], cells: readonly string[]): void {
    if (cut && this.loop.stamped) {
      this.sink.skip(no, 'truncated', raw)
      this.sink.truncatedSnapshot()
      return
    }
    this.loop.ensure(no)
    const r = this.rec
    r.pid = -1
    r.name = r.ppid = r.handles = r.threads = r.created = r.exited = null
    for (let i = 0; i < roles.length; i++) {
      const role = roles[i]
      const v = cells[i]?.trim() ?? ''
      if (!role || v === '') continue
      if (role === 'pid') r.pid = r.pid < 0 && /^\d{1,10}$/.test(v) ? Number(v) : r.pid
      else if (role === 'name') r.name ??= v
      else if (role === 'created' || role === 'exited') r[role] ??= parseDateTime(v, this.options.dateOrder)
      else r[role] ??= parseCount(v)
    }
    r.line = no
    this.sink.process(r)
  }
}

const TASKLIST_ROLES: readonly (Role | null)[] = ['name', 'pid']

function count(text: string, ch: string): number {
  let n = 0
  for (let i = text.indexOf(ch); i >= 0; i = text.indexOf(ch, i + 1)) n++
  return n
}

/** Process lists: Get-Process (PowerShell 5.1 / 7), Select-Object tables, Export-Csv, Format-List, tasklist. */
export const processListParser: Parser = {
  id: 'process-list',
  description: 'Get-Process tables, lists and CSV exports, and tasklist tables, lists and CSV, alone or in a loop',
  detect: detectProcessList,
  create: (sink: RecordSink, options: ParseOptions): LineParser => new ProcessListLineParser(sink, options),
}
