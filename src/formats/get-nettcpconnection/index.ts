/**
 * PowerShell `Get-NetTCPConnection` / `Get-NetUDPEndpoint` output in any of its views — the default table,
 * Format-List, Export-Csv, ConvertTo-Json and the troubleshooting guide's Group-Object summary — alone or
 * in a timestamped loop (each stamp line starts a snapshot).
 */
import {csvFields, parseCsvHeader, quotesOpen, type CsvLayout} from './csv.js'
import {detectGetNetTcpConnection} from './detect.js'
import {fillConnection, newConnection, type ConnectionFields} from './fields.js'
import {JsonObjectStream} from './json.js'
import {addListLine, hasConnectionLabel, listProto, openListBlock, type ListBlock} from './list.js'
import {
  applyUnderline,
  isRule,
  newScratch,
  parseGroupHeader,
  parseGroupRow,
  parseTableHeader,
  splitRow,
  type GroupLayout,
  type TableLayout,
} from './table.js'
import {parseStamp, StampResolver} from '../shared/timestamps.js'
import {DOCUMENT_CHARS, type LineParser, type ParseOptions, type Parser, type Proto, type RecordSink, type SkipReason} from '../types.js'

type View = 'table' | 'list' | 'csv' | 'json' | 'group-object'

type OpenCsv = {line: number; raw: string; text: string; lines: number}

const PROMPT = /^\s*(?:PS(?: [^>]*)?>|[A-Za-z]:\\[^>]*>|>>)/
const ELISION = /^\s*(?:\.{3,}|…|\[(?:snip|\.{3}|…)\]|<snip>)\s*$/i
const JSON_START = /^\s*(?:[[{]\s*$|\[\s*\]\s*$|\[?\s*\{\s*")/
const JSON_LITERAL = /^\s*(?:true|false|null)\b/
const ROW_START = /^\s*(?:\d{1,3}\.\d|[0-9a-fA-F]{0,4}:[0-9a-fA-F:]|\*\s)/

const firstNonBlank = (text: string) => {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c !== 32 && c !== 9) return i
  }
  return -1
}

const protoOf = (text: string): Proto | null =>
  /NetUDPEndpoint/i.test(text) ? 'UDP' : /NetTCPConnection/i.test(text) ? 'TCP' : null

class GetNetTcpConnectionLines implements LineParser {
  private readonly rec = newConnection()
  private readonly stamps = new StampResolver()
  private readonly scratch = newScratch()
  private readonly json: JsonObjectStream
  private started = false
  private view: View | null = null
  private noted: View | null = null
  private table: TableLayout | null = null
  private underlineDue = false
  private group: GroupLayout | null = null
  private csv: CsvLayout | null = null
  private openCsv: OpenCsv | null = null
  private list: ListBlock | null = null
  /** Protocol named by the last prompt command or `#TYPE` line, for views whose columns do not tell. */
  private hint: Proto | null = null
  /** A row-like line that did not parse: malformed, or truncated if it turns out to be the last line. */
  private deferred: {line: number; raw: string} | null = null
  private truncated = false

  constructor(
    private readonly sink: RecordSink,
    private readonly options: ParseOptions,
  ) {
    this.json = new JsonObjectStream(sink, (value, line) => this.jsonObject(value, line))
  }

  line(raw: string, no: number): void {
    const text = no === 1 && raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw
    if (this.deferred) {
      this.sink.skip(this.deferred.line, 'malformed', this.deferred.raw)
      this.deferred = null
    }
    if (this.json.active) {
      if (!this.interruptsJson(text)) return this.json.feed(text, no)
      if (this.json.abort()) this.truncated = true
      this.cutSnapshot()
    }
    if (this.openCsv) return this.continueCsv(text)
    if (this.list && this.continueList(text)) return
    const t = firstNonBlank(text)
    if (t < 0) return this.sink.structure()
    const underline = this.underlineDue
    this.underlineDue = false
    const c = text.charCodeAt(t)
    if ((c === 62 || ((c | 32) >= 97 && (c | 32) <= 122)) && PROMPT.test(text)) return this.echo(text, no)
    if (c === 45 && isRule(text)) {
      if (underline && this.view === 'table' && this.table) applyUnderline(this.table, text)
      return this.sink.structure()
    }
    if (c === 35 && text.startsWith('#TYPE', t)) {
      this.hint = protoOf(text) ?? this.hint
      return this.sink.structure()
    }
    if (((c >= 65 && c <= 90) || c === 34) && this.header(text)) return
    if (this.row(text, no, c)) return
    if (this.stamp(text, no)) return
    if (this.view === 'csv' && this.csv && text.includes(this.csv.delimiter)) return this.csvRow(text, no)
    if (this.view === 'table' || this.view === 'group-object') {
      if (this.view === 'table' ? ROW_START.test(text) : c >= 48 && c <= 57) {
        this.deferred = {line: no, raw: text}
        return
      }
    }
    if (ELISION.test(text)) return this.sink.skip(no, 'elision', text)
    if ((c === 91 || c === 123) && JSON_START.test(text)) {
      this.setView('json')
      return this.json.feed(text, no)
    }
    if (this.listStart(text, no)) return
    this.sink.skip(no, 'junk', text)
  }

  end(endedWithNewline: boolean): void {
    if (this.openCsv) {
      this.sink.skip(this.openCsv.line, 'truncated', this.openCsv.raw)
      this.openCsv = null
      this.truncated = true
    }
    if (this.json.abort()) this.truncated = true
    if (this.list) this.finishList(endedWithNewline ? 'malformed' : 'truncated')
    if (this.deferred) {
      this.sink.skip(this.deferred.line, endedWithNewline ? 'malformed' : 'truncated', this.deferred.raw)
      if (!endedWithNewline) this.truncated = true
    }
    this.cutSnapshot()
    if (!this.started) return
    const resolved = this.stamps.resolve(this.options.dateOrder)
    this.sink.snapshotTimes(resolved.times, resolved.order)
  }

  private cutSnapshot(): void {
    if (this.truncated && this.started) this.sink.truncatedSnapshot()
    this.truncated = false
  }

  private setView(view: View): void {
    this.view = view
    if (this.noted === view) return
    this.noted = view
    this.sink.note('view', view)
  }

  private echo(text: string, no: number): void {
    this.hint = protoOf(text) ?? this.hint
    this.sink.skip(no, 'echo', text)
  }

  private stamp(text: string, no: number): boolean {
    const parts = parseStamp(text)
    if (!parts) return false
    this.sink.snapshot({line: no, stamp: text.trim()})
    this.stamps.add(parts)
    this.started = true
    this.sink.structure()
    return true
  }

  private emit(line: number): void {
    if (!this.started) {
      this.sink.snapshot({line, stamp: null})
      this.stamps.add(null)
      this.started = true
    }
    this.sink.connection(this.rec)
  }

  private fill(f: ConnectionFields, proto: Proto, line: number): boolean {
    return fillConnection(this.rec, f, proto, line, this.options.dateOrder)
  }

  private header(text: string): boolean {
    if (text.includes('LocalPort') || text.includes('LocalAddress')) {
      const table = parseTableHeader(text)
      if (table) {
        this.table = table
        this.underlineDue = true
        this.setView('table')
        this.sink.structure()
        return true
      }
      const csv = parseCsvHeader(text)
      if (csv) {
        this.csv = csv
        this.setView('csv')
        this.sink.structure()
        return true
      }
    }
    const group = text.includes('Count') ? parseGroupHeader(text) : null
    if (!group) return false
    this.group = group
    this.underlineDue = true
    this.setView('group-object')
    this.sink.structure()
    return true
  }

  private row(text: string, no: number, c: number): boolean {
    if (this.view === 'table' && this.table) {
      const table = this.table
      const proto: Proto = table.tcp ? 'TCP' : (this.hint ?? 'UDP')
      if (!splitRow(table, text, this.scratch, (f) => this.fill(f, proto, no))) return false
      this.emit(no)
      return true
    }
    if (this.view === 'group-object' && this.group) {
      const row = parseGroupRow(this.group, text)
      if (!row) return false
      const r = this.rec
      r.proto = this.hint ?? 'TCP'
      r.localAddr = r.remoteAddr = '*'
      r.localPort = r.remotePort = -1
      r.state = row.state
      r.pid = row.pid
      r.process = row.process
      r.created = null
      r.line = no
      for (let i = 0; i < row.count; i++) this.emit(no)
      return true
    }
    if (this.view === 'csv' && this.csv && c === 34) {
      this.csvRow(text, no)
      return true
    }
    return false
  }

  private csvRow(text: string, no: number): void {
    if (quotesOpen(text)) this.openCsv = {line: no, raw: text, text, lines: 1}
    else this.finishCsv(no, text, text)
  }

  private continueCsv(text: string): void {
    const open = this.openCsv!
    open.text += `\n${text}`
    open.lines++
    this.sink.structure()
    if (quotesOpen(open.text)) {
      // a runaway quote: give the record up rather than swallow the rest of the file
      if (open.lines < 64) return
      this.openCsv = null
      return this.sink.skip(open.line, 'malformed', open.raw)
    }
    this.openCsv = null
    this.finishCsv(open.line, open.text, open.raw)
  }

  private finishCsv(line: number, text: string, raw: string): void {
    const layout = this.csv!
    const f = csvFields(layout, text)
    if (f && this.fill(f, layout.tcp ? 'TCP' : (this.hint ?? 'UDP'), line)) return this.emit(line)
    this.deferred = {line, raw}
  }

  private listStart(text: string, no: number): boolean {
    this.list = openListBlock(text, no)
    if (!this.list) return false
    this.setView('list')
    return true
  }

  /** Feeds a line to the open Format-List block; false when the line is not part of it (the block is closed). */
  private continueList(text: string): boolean {
    const t = firstNonBlank(text)
    if (t < 0) {
      this.finishList('malformed')
      this.sink.structure()
      return true
    }
    if (addListLine(this.list!, text, t > 0 && !PROMPT.test(text)) !== 'outside') {
      this.sink.structure()
      return true
    }
    this.finishList('malformed')
    return false
  }

  private finishList(failure: SkipReason): void {
    const b = this.list!
    this.list = null
    if (b.fields.localPort !== undefined && this.fill(b.fields, listProto(b, this.hint), b.line)) {
      return this.emit(b.line)
    }
    const known = hasConnectionLabel(b)
    this.sink.skip(b.line, known ? failure : 'junk', b.raw)
    if (failure === 'truncated' && known) this.truncated = true
  }

  private interruptsJson(text: string): boolean {
    const t = firstNonBlank(text)
    if (t < 0) return false
    const c = text.charCodeAt(t)
    // `{ } [ ] " , -`: what pretty-printed JSON lines start with
    if (c === 123 || c === 125 || c === 91 || c === 93 || c === 34 || c === 44 || c === 45) return false
    if (c >= 48 && c <= 57) return parseStamp(text) !== null
    return !JSON_LITERAL.test(text)
  }

  private jsonObject(value: unknown, line: number): boolean {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return false
    const o = value as Record<string, unknown>
    if (!Object.hasOwn(o, 'LocalPort')) return false
    const sys = o.CimSystemProperties
    const cls = typeof sys === 'object' && sys !== null ? (sys as Record<string, unknown>).ClassName : o.CimClass
    const named = typeof cls === 'string' ? protoOf(cls) : null
    const tcp = Object.hasOwn(o, 'State') || Object.hasOwn(o, 'RemoteAddress') || Object.hasOwn(o, 'RemotePort')
    const proto: Proto = named ?? (tcp ? 'TCP' : (this.hint ?? 'UDP'))
    const f: ConnectionFields = {
      localAddress: o.LocalAddress,
      localPort: o.LocalPort,
      remoteAddress: o.RemoteAddress,
      remotePort: o.RemotePort,
      state: o.State,
      owningProcess: o.OwningProcess,
      creationTime: o.CreationTime,
    }
    if (!this.fill(f, proto, line)) return false
    this.emit(line)
    return true
  }
}

/** Get-NetTCPConnection / Get-NetUDPEndpoint: table, Format-List, Export-Csv, ConvertTo-Json, Group-Object. */
export const getNetTcpConnectionParser: Parser = {
  id: 'get-nettcpconnection',
  description:
    'PowerShell Get-NetTCPConnection / Get-NetUDPEndpoint: table, Format-List, CSV, JSON, Group-Object summary',
  detect: detectGetNetTcpConnection,
  create: (sink: RecordSink, options: ParseOptions): LineParser => new GetNetTcpConnectionLines(sink, options),
  documentChars: DOCUMENT_CHARS,
}
