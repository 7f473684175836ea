import Papa from 'papaparse'

import type {Analysis} from '../model/types.js'
import {formatWallTime} from '../formats/shared/timestamps.js'
import type {ConnectionRecord} from '../formats/types.js'
import {TCP_STATES} from '../formats/types.js'
import {inert, inertJson} from './escape.js'

/**
 * `portleak export`: the analysis as normalized tables (one row per snapshot, per process × state ×
 * snapshot, per finding, optionally per connection row) for spreadsheets and notebooks. Pure.
 */

export type Cell = string | number | boolean | null
export type ColumnType = 'string' | 'number' | 'boolean'
export type Column = {readonly name: string; readonly type: ColumnType}
export type Row = Readonly<Record<string, Cell>>

/** A table whose rows may be produced lazily (connections can be millions of rows). */
export type Table = {readonly name: string; readonly columns: readonly Column[]; readonly rows: Iterable<Row>}

/** A connection row to export: the parser record plus the snapshot it belongs to. */
export type ExportConnection = ConnectionRecord & {readonly snapshot: number; readonly path?: string}

export type ExportTables = {
  readonly snapshots: Table
  readonly process_states: Table
  readonly findings: Table
  readonly connections?: Table
}

const cols = (spec: string): Column[] =>
  spec.split(' ').map((s) => {
    const [name, t] = s.split(':') as [string, string | undefined]
    return {name, type: t === 'n' ? 'number' : t === 'b' ? 'boolean' : 'string'}
  })

const STATE_COLUMNS = TCP_STATES.map((s) => s.toLowerCase())
const SNAPSHOT_COLUMNS = cols(
  `snapshot:n time host rows:n ephemeral_in_use:n ephemeral_addr truncated:b ${STATE_COLUMNS.map((s) => `${s}:n`).join(' ')} udp:n`,
)
const PROCESS_STATE_COLUMNS = cols('snapshot:n time pid:n process state count:n')
const FINDING_COLUMNS = cols(
  'finding:n kind severity pid:n pids process state slope_per_hour:n slope_low:n slope_high:n p_value:n growth_start ' +
    'first_snapshot:n last_snapshot:n start:n now:n peak:n projected_exhaustion attribution remote summary evidence_rows:n first_evidence ' +
    'holder_share_peak:n holder_share_last:n ports_unknown:b',
)
const CONNECTION_COLUMNS = cols(
  'snapshot:n time path line:n proto local_addr local_port:n remote_addr remote_port:n state pid:n process created',
)

const finite = (n: number | null | undefined): number | null => (n === null || n === undefined || !Number.isFinite(n) ? null : n)
const time = (t: number | null | undefined): string | null => (t === null || t === undefined ? null : formatWallTime(t))

function* snapshotRows(analysis: Analysis): Generator<Row> {
  const {timeline: t, document: d} = analysis
  for (let i = 0; i < t.times.length; i++) {
    const row: Record<string, Cell> = {
      snapshot: i, time: time(t.times[i]), host: d.host, rows: t.rows[i] ?? 0, ephemeral_in_use: t.ephemeralInUse[i] ?? 0,
      ephemeral_addr: t.ephemeralAddr[i] ?? '', truncated: t.truncated[i] ?? false,
    }
    TCP_STATES.forEach((s, k) => (row[STATE_COLUMNS[k]!] = t.totalsByState[s]?.[i] ?? 0))
    row.udp = t.processes.reduce((sum, p) => sum + (p.udp[i] ?? 0), 0)
    yield row
  }
}

function* processStateRows(analysis: Analysis): Generator<Row> {
  const t = analysis.timeline
  for (let i = 0; i < t.times.length; i++) {
    for (const p of t.processes) {
      if (i < p.first || i > p.last) continue
      for (const s of TCP_STATES) {
        const count = p.byState[s]?.[i] ?? 0
        if (count !== 0) yield {snapshot: i, time: time(t.times[i]), pid: p.pid, process: p.name, state: s, count}
      }
      const udp = p.udp[i] ?? 0
      if (udp !== 0) yield {snapshot: i, time: time(t.times[i]), pid: p.pid, process: p.name, state: 'UDP', count: udp}
    }
  }
}

function* findingRows(analysis: Analysis): Generator<Row> {
  let n = 0
  for (const f of analysis.document.findings) {
    const first = f.evidence[0]
    yield {
      finding: ++n, kind: f.kind, severity: f.severity, pid: f.pid, pids: f.pids.join(' '), process: f.process, state: f.state,
      slope_per_hour: finite(f.slopePerHour), slope_low: finite(f.slopeLow), slope_high: finite(f.slopeHigh), p_value: finite(f.pValue),
      growth_start: f.growthStart, first_snapshot: f.first, last_snapshot: f.last, start: finite(f.start), now: finite(f.now),
      peak: finite(f.peak), projected_exhaustion: f.projectedExhaustion, attribution: f.attribution, remote: f.remote ?? null,
      summary: f.summary, evidence_rows: f.evidence.length, first_evidence: first ? `${first.path}:${first.line}` : null,
      holder_share_peak: f.holder?.peak.share ?? null, holder_share_last: f.holder?.last?.share ?? null,
      ports_unknown: f.holder ? f.holder.portsUnknown : null,
    }
  }
}

function* connectionRows(analysis: Analysis, connections: Iterable<ExportConnection>): Generator<Row> {
  const times = analysis.timeline.times
  for (const c of connections) {
    yield {
      snapshot: c.snapshot, time: time(times[c.snapshot]), path: c.path ?? null, line: c.line, proto: c.proto,
      local_addr: c.localAddr, local_port: c.localPort, remote_addr: c.remoteAddr, remote_port: c.remotePort,
      state: c.state, pid: c.pid, process: c.process, created: time(c.created),
    }
  }
}

/** A re-iterable view of a generator function (each `for…of` starts over). */
const lazy = (make: () => Iterator<Row>): Iterable<Row> => ({[Symbol.iterator]: make})

/**
 * The export tables of an analysis. Rows are produced lazily, each time a table is iterated.
 * `connections`, when given, must be re-iterable if the table is written more than once.
 */
export function exportTables(analysis: Analysis, options: {connections?: Iterable<ExportConnection>} = {}): ExportTables {
  const tables: ExportTables = {
    snapshots: {name: 'snapshots', columns: SNAPSHOT_COLUMNS, rows: lazy(() => snapshotRows(analysis))},
    process_states: {name: 'process_states', columns: PROCESS_STATE_COLUMNS, rows: lazy(() => processStateRows(analysis))},
    findings: {name: 'findings', columns: FINDING_COLUMNS, rows: lazy(() => findingRows(analysis))},
  }
  const {connections} = options
  if (!connections) return tables
  return {...tables, connections: {name: 'connections', columns: CONNECTION_COLUMNS, rows: lazy(() => connectionRows(analysis, connections))}}
}

/**
 * Neutralises a string cell: made {@link inert} (no raw control, bidi or line-break character, so `cat`
 * on the file cannot drive a terminal and a value never starts a line), and prefixed with `'` when a
 * spreadsheet would run it as a formula (`=`, `+`, `-`, `@` first). Numbers, booleans and null pass unchanged, so negative numbers stay numbers.
 */
export function neutralise(cell: Cell): Cell {
  if (typeof cell !== 'string') return cell
  const text = inert(cell)
  return /^[=+\-@\t\r]/.test(text) ? `'${text}` : text
}

const CSV = {newline: '\r\n', quoteChar: '"', escapeChar: '"', delimiter: ','} as const

/** CSV text in chunks: UTF-8 BOM and header first, then rows in batches; CRLF after every record (RFC 4180). */
export function* csvChunks(table: Table, batch = 5000): Generator<string> {
  yield `\uFEFF${Papa.unparse([table.columns.map((c) => c.name)], CSV)}\r\n`
  let rows: Cell[][] = []
  for (const row of table.rows) {
    rows.push(table.columns.map((c) => neutralise(row[c.name] ?? null)))
    if (rows.length >= batch) {
      yield `${Papa.unparse(rows, CSV)}\r\n`
      rows = []
    }
  }
  if (rows.length) yield `${Papa.unparse(rows, CSV)}\r\n`
}

/** The whole table as CSV (see {@link csvChunks}). */
export function toCsv(table: Table): string {
  return [...csvChunks(table)].join('')
}

/**
 * JSON Lines in chunks: one object per row, keys in column order, `\n` after every line. Strings keep their
 * values; the characters JSON leaves raw that could drive a terminal are written as `\u` escapes ({@link inertJson}).
 */
export function* jsonlChunks(table: Table, batch = 5000): Generator<string> {
  let lines: string[] = []
  for (const row of table.rows) {
    const obj: Record<string, Cell> = {}
    for (const c of table.columns) obj[c.name] = row[c.name] ?? null
    lines.push(inertJson(JSON.stringify(obj)))
    if (lines.length >= batch) {
      yield `${lines.join('\n')}\n`
      lines = []
    }
  }
  if (lines.length) yield `${lines.join('\n')}\n`
}

/** The whole table as JSON Lines (see {@link jsonlChunks}). */
export function toJsonl(table: Table): string {
  return [...jsonlChunks(table)].join('')
}
