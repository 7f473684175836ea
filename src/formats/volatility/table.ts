/**
 * The table reader behind the Volatility parsers. It recognises the renderings (Volatility 3 text,
 * `-r csv`, `-r pretty`, `-r json`/`jsonl`, Volatility 2 fixed-width and `--output=json`), finds
 * the header of the parser's plugin, and hands each row to the plugin as a {@link Getter}.
 */
import type {LineParser, RecordSink, SkipReason} from '../types.js'
import {isElision} from '../shared/dump-common.js'
import {
  commandPlugin,
  type Getter,
  isBanner,
  isEcho,
  isHeaderCells,
  isRule,
  present,
  splitCsv,
} from './common.js'
import {emitJsonLine, JsonTableReader, type JsonRow} from './json.js'

/** What a row came to: null when records were emitted, else why the line is skipped. */
export type RowResult = SkipReason | null

/** A Volatility 2 fixed-width table of one plugin, opened at its header line. */
export type Vol2Table = {
  readonly plugin: string
  readonly header: RegExp
  /** Returns the row reader for this header; it answers false for lines that are no row. */
  open(header: string): (text: string, line: number) => RowResult | false
}

/** What a plugin parser tells the reader. Row functions emit into the sink they were made with. */
export type TableSpec = {
  /** Plugin names this parser reads (`netscan`, `netstat`…), for the `plugin` note from a command line. */
  readonly plugins: readonly string[]
  /** True when these column names (Volatility 3 header or JSON keys, Volatility 2 JSON columns) are this plugin's. */
  matches(columns: readonly string[]): boolean
  /** The plugin a column set shows, when it is unambiguous. */
  plugin(columns: readonly string[]): string | null
  row(get: Getter, line: number): RowResult
  readonly vol2: readonly Vol2Table[]
}

/** A table of named cells: column name → index, and the number of columns. */
type CellsMode = {kind: 'text' | 'csv' | 'pretty'; index: ReadonlyMap<string, number>; width: number}
type Mode =
  | CellsMode
  | {kind: 'vol2'; row: (text: string, line: number) => RowResult | false}
  | {kind: 'foreign'}

const TREE = /^\*+ /
// Lines inside an indented JSON document start with one of these.
const JSON_LINE = /^["{}[\]]/

class VolatilityLineParser implements LineParser {
  private mode: Mode | null = null
  private deferred: {line: number; raw: string; reason: SkipReason} | null = null
  private csvPending: {line: number; text: string; raws: string[]} | null = null
  private readonly json: JsonTableReader
  /** Decided at a JSON document's first row: are its rows this plugin's? */
  private jsonOurs: boolean | null = null
  private readonly jsonBad = new Map<number, {reason: SkipReason; raw: string}>()
  private jsonView: 'vol3-json' | 'vol2-json' = 'vol3-json'
  /** The text of the line whose rows are being emitted, for skips (`{` for indented rows). */
  private jsonRaw = '{'
  private lastGood = -1
  private last = 0
  private pluginNoted = false

  constructor(
    private readonly sink: RecordSink,
    private readonly spec: TableSpec,
  ) {
    this.json = new JsonTableReader((row, line) => this.jsonRow(row, line))
  }

  line(text: string, no: number): void {
    this.last = no
    if (this.deferred) {
      this.sink.skip(this.deferred.line, this.deferred.reason, this.deferred.raw)
      this.deferred = null
    }
    if (this.csvPending) return this.csvContinuation(text, no)
    const t = text.trim()
    if (this.json.open) {
      if (t === '') {
        this.sink.structure()
        return
      }
      const kind = this.json.line(t, no)
      if (kind === 'bad' && !JSON_LINE.test(t)) {
        // Not JSON at all: the document was cut off (or the `[` was no document); read the line afresh.
        this.abandonJson()
      } else {
        if (kind === 'structure') this.sink.structure()
        else if (kind === 'bad') this.sink.skip(no, 'malformed', text)
        if (!this.json.open) this.settleJson()
        return
      }
    }
    if (t === '') {
      this.sink.structure()
      return
    }
    const m = this.mode
    if (m && m.kind !== 'foreign') {
      const r = this.tableRow(m, text, t, no)
      if (r !== false) {
        if (r !== null) this.deferred = {line: no, raw: text, reason: r}
        return
      }
    }
    if (this.header(text, t, no)) return
    if (this.jsonStart(t, no)) return
    this.other(text, t, no)
  }

  end(endedWithNewline: boolean): void {
    if (this.deferred) {
      const d = this.deferred
      this.sink.skip(d.line, !endedWithNewline && d.line === this.last ? 'truncated' : d.reason, d.raw)
      this.deferred = null
    }
    if (this.csvPending) {
      const p = this.csvPending
      p.raws.forEach((raw, i) => this.sink.skip(p.line + i, 'truncated', raw))
      this.csvPending = null
    }
    this.abandonJson()
  }

  /** A line under a known header: false when it is no row (a banner, another header…). */
  private tableRow(m: Exclude<Mode, {kind: 'foreign'}>, text: string, t: string, no: number): RowResult | false {
    if (m.kind === 'vol2') return m.row(text, no)
    let cells: string[] | null
    if (m.kind === 'text') {
      if (!text.includes('\t')) return false
      cells = text.split('\t')
      if (isHeaderCells(cells)) return false
      cells[0] = cells[0]!.replace(TREE, '')
    } else if (m.kind === 'pretty') {
      if (!text.includes(' | ')) return false
      cells = text.split(' | ').slice(1)
      if (isHeaderCells(cells)) return false
    } else {
      const c = t.charCodeAt(0)
      if (c < 48 || c > 57) return false
      cells = splitCsv(t)
      if (cells === null) {
        this.csvPending = {line: no, text: t, raws: [text]}
        return null
      }
      cells = cells.slice(1)
    }
    return this.cellsRow(m, cells, no)
  }

  private cellsRow(m: CellsMode, cells: string[], no: number): RowResult {
    while (cells.length > m.width && cells.at(-1)!.trim() === '') cells.pop()
    if (cells.length !== m.width) return 'malformed'
    return this.spec.row((col) => {
      const i = m.index.get(col)
      return i === undefined ? null : present(cells[i])
    }, no)
  }

  /** A quoted CSV field went on past the line end: join lines until it closes. */
  private csvContinuation(text: string, no: number): void {
    const p = this.csvPending!
    p.text += `\n${text}`
    p.raws.push(text)
    const cells = splitCsv(p.text)
    if (cells === null && p.raws.length < 64) return
    this.csvPending = null
    const m = this.mode
    if (cells === null || m?.kind !== 'csv') {
      p.raws.forEach((raw, i) => this.sink.skip(p.line + i, 'malformed', raw))
      return
    }
    this.sink.structure(p.raws.length - 1)
    const r = this.cellsRow(m, cells.slice(1), p.line)
    if (r !== null) this.sink.skip(p.line, r, p.raws[0]!)
  }

  /** Header lines of every rendering; a header of another plugin switches to skipping its rows. */
  private header(text: string, t: string, no: number): boolean {
    let kind: 'text' | 'csv' | 'pretty' | null = null
    let cells: string[] = []
    if (text.includes('\t')) {
      cells = text.split('\t').map((c) => c.trim())
      while (cells.length > 1 && cells.at(-1) === '') cells.pop()
      if (isHeaderCells(cells)) kind = 'text'
    } else if (t.startsWith('TreeDepth,')) {
      cells = (splitCsv(t) ?? []).slice(1)
      kind = 'csv'
    } else if (text.includes(' | ') && /^\s*\|/.test(text)) {
      cells = text.split(' | ').slice(1).map((c) => c.trim())
      if (isHeaderCells(cells)) kind = 'pretty'
    }
    if (kind) {
      this.table(kind, cells, text, no)
      return true
    }
    for (const v of this.spec.vol2) {
      if (v.header.test(text)) {
        this.mode = {kind: 'vol2', row: v.open(text)}
        this.notes('vol2', v.plugin)
        this.sink.structure()
        return true
      }
    }
    return false
  }

  private table(kind: 'text' | 'csv' | 'pretty', cells: string[], text: string, no: number): void {
    if (!this.spec.matches(cells)) {
      this.mode = {kind: 'foreign'}
      this.sink.skip(no, 'junk', text)
      return
    }
    this.mode = {kind, index: new Map(cells.map((c, i) => [c, i])), width: cells.length}
    this.notes(`vol3-${kind}`, this.spec.plugin(cells))
    this.sink.structure()
  }

  /** `[` / `{` opening an indented JSON document, or a whole JSON document or row on one line. */
  private jsonStart(t: string, no: number): boolean {
    const c = t.charCodeAt(0)
    if (c !== 91 && c !== 123) return false
    if (t === '[' || t === '{') {
      this.jsonOurs = null
      this.jsonView = 'vol3-json'
      const kind = this.json.line(t, no)
      if (kind === 'structure') this.sink.structure()
      return true
    }
    const before = {ours: this.jsonOurs, view: this.jsonView}
    if (/^\{\s*"columns"/.test(t)) {
      this.jsonOurs = null
      this.jsonView = 'vol2-json'
    }
    this.jsonRaw = t
    const count = emitJsonLine(t, no, (row, line) => this.jsonRow(row, line))
    this.jsonRaw = '{'
    if (count < 0) {
      this.jsonOurs = before.ours
      this.jsonView = before.view
      return false
    }
    if (count === 0) this.sink.structure()
    this.settleJson()
    return true
  }

  private jsonRow(row: JsonRow, line: number): void {
    if (this.jsonOurs === null) {
      const keys = Object.keys(row)
      this.jsonOurs = this.spec.matches(keys)
      if (this.jsonOurs) this.notes(this.jsonView, this.spec.plugin(keys))
    }
    let r: RowResult = 'junk'
    if (this.jsonOurs) r = this.spec.row((col) => jsonValue(row[col]), line)
    if (r === null) {
      this.jsonBad.delete(line)
      this.lastGood = line
    } else if (line !== this.lastGood && !this.jsonBad.has(line)) {
      this.jsonBad.set(line, {reason: r, raw: this.jsonRaw})
    }
  }

  /** Rows of a JSON document cut off before their closing brace. */
  private abandonJson(): void {
    for (const line of this.json.abandon()) {
      if (line !== this.lastGood) this.jsonBad.set(line, {reason: 'truncated', raw: '{'})
    }
    this.settleJson()
  }

  private settleJson(): void {
    for (const [line, b] of this.jsonBad) this.sink.skip(line, b.reason, b.raw)
    this.jsonBad.clear()
  }

  private other(text: string, t: string, no: number): void {
    if (isBanner(t) || isRule(t)) {
      this.sink.structure()
      return
    }
    if (isEcho(t)) {
      const plugin = commandPlugin(t)
      if (plugin && this.spec.plugins.includes(plugin)) {
        this.sink.note('plugin', plugin)
        this.pluginNoted = true
      }
      this.sink.skip(no, 'echo', text)
      return
    }
    this.sink.skip(no, isElision(t) ? 'elision' : 'junk', text)
  }

  private notes(view: string, plugin: string | null): void {
    this.sink.note('view', view)
    if (plugin && !this.pluginNoted) this.sink.note('plugin', plugin)
    this.pluginNoted ||= plugin !== null
  }
}

function jsonValue(v: unknown): string | null {
  if (v === null || v === undefined) return null
  if (typeof v === 'string') return present(v)
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : null
  if (typeof v === 'boolean') return v ? 'True' : 'False'
  return null
}

/** A line reader for one Volatility plugin family. */
export function createVolatilityLineParser(sink: RecordSink, spec: TableSpec): LineParser {
  return new VolatilityLineParser(sink, spec)
}
