import Papa from 'papaparse'

import type {Analysis} from '../model/types.js'
import {formatWallTime} from '../model/wall-time.js'
import type {ConnectionRecord} from '../model/records.js'
import {TCP_STATES} from '../model/records.js'
import type {Attribution} from '../model/snapshot-aggregator.js'
import {maxOf} from '../model/extremes.js'
import {inert, inertJson} from './escape.js'

/**
 * `portleak export`: the analysis as normalized tables (one row per snapshot, per process × state ×
 * snapshot, per finding, per event, per handle count, optionally per connection row) and one wide
 * table (a row per snapshot, a column per process × state) for spreadsheets and notebooks. Pure.
 */

export type Cell = string | number | boolean | null
export type ColumnType = 'string' | 'number' | 'boolean'
export type Column = {readonly name: string; readonly type: ColumnType}
export type Row = Readonly<Record<string, Cell>>

/** A table whose rows may be produced lazily (connections can be millions of rows). */
export type Table = {readonly name: string; readonly columns: readonly Column[]; readonly rows: Iterable<Row>}

/**
 * A connection row to export: the parser record plus the snapshot it belongs to and, for a TIME_WAIT
 * row without an owner of its own, who it was attributed to and how (pid null: unattributed).
 */
export type ExportConnection = ConnectionRecord & {
  readonly snapshot: number
  readonly path?: string
  attributedPid?: number | null
  attributedProcess?: string | null
  attribution?: Attribution
}

export type ExportTables = {
  readonly snapshots: Table
  readonly process_states: Table
  readonly findings: Table
  readonly events: Table
  readonly handles: Table
  readonly wide: Table
  readonly connections?: Table
}

/** Every table `export` writes, in order (`connections` only with `--connections`). */
export const TABLE_NAMES = ['snapshots', 'process_states', 'wide', 'findings', 'events', 'handles'] as const

/** Process × state columns of the wide table at most (the busiest series first); Excel charts a few dozen at best. */
export const WIDE_SERIES = 60

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
  'snapshot:n time path line:n proto local_addr local_port:n remote_addr remote_port:n state pid:n process created ' +
    'attributed_pid:n attributed_process attribution',
)
const EVENT_COLUMNS = cols('time snapshot:n id:n source message path line:n outside_seconds:n')
const HANDLE_COLUMNS = cols('time pid:n process handles:n afd:n path line:n outside_seconds:n')

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
      state: c.state, pid: c.pid, process: c.process, created: time(c.created), ...attributed(c),
    }
  }
}

/**
 * Who a connection row counts for: its own PID (`owner`), else the process its TIME_WAIT row was
 * attributed to (`lineage`, `remote-affinity`), else nobody (`unattributed`: a PID-0 row, or no PID at all).
 */
function attributed(c: ExportConnection): Row {
  if (c.pid > 0) return {attributed_pid: c.pid, attributed_process: c.process, attribution: 'owner'}
  if (c.attributedPid !== undefined && c.attributedPid !== null && c.attribution !== 'unattributed') {
    return {attributed_pid: c.attributedPid, attributed_process: c.attributedProcess ?? null, attribution: c.attribution ?? null}
  }
  return {attributed_pid: null, attributed_process: null, attribution: 'unattributed'}
}

function* eventRows(analysis: Analysis): Generator<Row> {
  for (const e of analysis.timeline.events) {
    yield {
      time: time(e.time), snapshot: e.snapshot < 0 ? null : e.snapshot, id: e.id, source: e.source, message: e.message,
      path: e.path, line: e.line, outside_seconds: e.outsideSeconds ?? null,
    }
  }
}

function* handleRows(analysis: Analysis): Generator<Row> {
  const points = analysis.timeline.handles.flatMap((h) => h.points.map((p) => ({h, p})))
  points.sort((a, b) => (a.p.time ?? -Infinity) - (b.p.time ?? -Infinity) || a.h.pid - b.h.pid)
  for (const {h, p} of points) {
    yield {time: time(p.time), pid: h.pid, process: h.name, handles: p.total, afd: p.afd, path: p.path, line: p.line, outside_seconds: h.outsideSeconds ?? null}
  }
}

type WideSeries = {name: string; values: ArrayLike<number>}

/** The wide table's series: `process (PID) STATE` with a nonzero value, busiest first, at most WIDE_SERIES. */
function wideSeries(analysis: Analysis): WideSeries[] {
  const out: (WideSeries & {peak: number})[] = []
  for (const p of analysis.timeline.processes) {
    const who = `${p.name ?? '(unnamed)'} (${p.pid})`
    for (const s of TCP_STATES) {
      const v = p.byState[s]
      if (v?.some((x) => x > 0)) out.push({name: `${who} ${s}`, values: v, peak: maxOf(v)})
    }
    if (p.udp.some((x) => x > 0)) out.push({name: `${who} UDP`, values: p.udp, peak: maxOf(p.udp)})
  }
  // names repeat when one PID keeps its image across timelines' halves; the first (busiest) keeps the plain name
  const seen = new Map<string, number>()
  return out
    .sort((a, b) => b.peak - a.peak || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .slice(0, WIDE_SERIES)
    .map((s) => {
      const n = (seen.get(s.name) ?? 0) + 1
      seen.set(s.name, n)
      return {name: n > 1 ? `${s.name} #${n}` : s.name, values: s.values}
    })
}

function wideTable(analysis: Analysis): Table {
  const series = wideSeries(analysis)
  const t = analysis.timeline
  const columns: Column[] = [...cols('snapshot:n time ephemeral_in_use:n'), ...series.map((s) => ({name: s.name, type: 'number' as const}))]
  function* rows(): Generator<Row> {
    for (let i = 0; i < t.times.length; i++) {
      const row: Record<string, Cell> = {snapshot: i, time: time(t.times[i]), ephemeral_in_use: t.ephemeralInUse[i] ?? 0}
      for (const s of series) row[s.name] = s.values[i] ?? 0
      yield row
    }
  }
  return {name: 'wide', columns, rows: lazy(rows)}
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
    events: {name: 'events', columns: EVENT_COLUMNS, rows: lazy(() => eventRows(analysis))},
    handles: {name: 'handles', columns: HANDLE_COLUMNS, rows: lazy(() => handleRows(analysis))},
    wide: wideTable(analysis),
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
  // Header names can come from the input (the wide table's process names): neutralised like any cell.
  yield `\uFEFF${Papa.unparse([table.columns.map((c) => neutralise(c.name))], CSV)}\r\n`
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
