/**
 * Column layouts of Format-Table output (the default Get-NetTCPConnection / Get-NetUDPEndpoint view and
 * custom `Select` tables) and of the troubleshooting guide's `Group-Object -Property State, OwningProcess` table.
 */
import {cutOff, emptyFields, tcpState, type ConnectionFields} from './fields.js'
import type {TcpState} from '../types.js'

export type Column =
  | 'localAddress'
  | 'localPort'
  | 'remoteAddress'
  | 'remotePort'
  | 'state'
  | 'appliedSetting'
  | 'owningProcess'
  | 'creationTime'
  | 'other'

const NAMES: readonly (readonly [string, Column])[] = [
  ['LocalAddress', 'localAddress'],
  ['LocalPort', 'localPort'],
  ['RemoteAddress', 'remoteAddress'],
  ['RemotePort', 'remotePort'],
  ['State', 'state'],
  ['AppliedSetting', 'appliedSetting'],
  ['OwningProcess', 'owningProcess'],
  ['CreationTime', 'creationTime'],
]

// Columns a real row always fills; the rest may be blank (AppliedSetting of Listen rows) or cut off.
const REQUIRED = new Set<Column>(['localAddress', 'localPort', 'remoteAddress', 'remotePort', 'state'])

export type TableLayout = {
  readonly columns: readonly Column[]
  /** Column extents: the header words at first, the underline's dash runs once it is seen. */
  starts: number[]
  ends: number[]
  /** True when the table has remote/state columns (a TCP table). */
  readonly tcp: boolean
}

const IDENT = /^[A-Za-z][A-Za-z0-9_]*(?:\.\.\.|…)?$/

/** Whitespace-separated tokens with their offsets; fills the arrays and returns the count. */
function tokenize(text: string, starts: number[], ends: number[]): number {
  let n = 0
  let i = 0
  const len = text.length
  while (i < len) {
    while (i < len && (text.charCodeAt(i) === 32 || text.charCodeAt(i) === 9)) i++
    if (i >= len) break
    const s = i
    while (i < len && text.charCodeAt(i) !== 32 && text.charCodeAt(i) !== 9) i++
    starts[n] = s
    ends[n] = i
    n++
  }
  return n
}

function columnOf(word: string): Column {
  for (const [name, col] of NAMES) if (name === word) return col
  // a narrow console cuts the last header word: `OwningProc...`, `OwningP…`
  const prefix = cutOff(word)
  if (prefix !== null && prefix.length >= 4) for (const [name, col] of NAMES) if (name.startsWith(prefix)) return col
  return 'other'
}

/** The layout of a table header line naming LocalPort or LocalAddress, or null when the line is not one. */
export function parseTableHeader(text: string): TableLayout | null {
  const starts: number[] = []
  const ends: number[] = []
  const n = tokenize(text, starts, ends)
  if (n === 0 || n > 64) return null
  const columns: Column[] = []
  let local = false
  for (let i = 0; i < n; i++) {
    const word = text.slice(starts[i], ends[i])
    if (!IDENT.test(word)) return null
    if (word === 'LocalPort' || word === 'LocalAddress') local = true
    columns.push(columnOf(word))
  }
  if (!local || !columns.includes('localPort')) return null
  const tcp = columns.includes('remoteAddress') || columns.includes('remotePort') || columns.includes('state')
  return {columns, starts, ends, tcp}
}

/** True when `text` is only dashes and blanks (with at least three dashes). */
export function isRule(text: string): boolean {
  let dashes = 0
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c === 45) dashes++
    else if (c !== 32 && c !== 9) return false
  }
  return dashes >= 3
}

/** Takes the underline's dash runs as column extents when they match the header's column count. */
export function applyUnderline(layout: TableLayout, text: string): void {
  const starts: number[] = []
  const ends: number[] = []
  if (tokenize(text, starts, ends) !== layout.columns.length) return
  layout.starts = starts
  layout.ends = ends
}

/** Scratch space for row splitting, one per parser instance. */
export type RowScratch = {starts: number[]; ends: number[]; values: string[]}

export const newScratch = (): RowScratch => ({starts: [], ends: [], values: []})

// A token overlapping a column's extent belongs to it (left-aligned text starts there, right-aligned numbers end
// there); a token in a gap continues the previous token's value (a CreationTime with spaces).
function positional(layout: TableLayout, text: string, n: number, sc: RowScratch): boolean {
  const cols = layout.columns.length
  let c = 0
  let last = -1
  for (let k = 0; k < n; k++) {
    const ts = sc.starts[k]!
    const te = sc.ends[k]!
    while (c < cols && layout.ends[c]! <= ts) c++
    const col = c < cols && layout.starts[c]! < te ? c : last >= 0 ? last : c < cols ? c : -1
    if (col < 0) return false
    const tok = text.slice(ts, te)
    sc.values[col] = sc.values[col] === '' ? tok : `${sc.values[col]} ${tok}`
    last = col
  }
  return true
}

// For copies whose padding was collapsed: one token per column, AppliedSetting may be blank, trailing columns cut.
function sequential(layout: TableLayout, text: string, n: number, sc: RowScratch): boolean {
  const cols = layout.columns.length
  let k = 0
  for (let c = 0; c < cols; c++) {
    if (k >= n) break
    if (layout.columns[c] === 'appliedSetting') {
      const next = text.charCodeAt(sc.starts[k]!)
      if (n - k < cols - c || (next >= 48 && next <= 57)) continue
    }
    sc.values[c] = text.slice(sc.starts[k], sc.ends[k])
    k++
  }
  // a last CreationTime or other text column keeps its spaces (`3/10/2023 2:05:12 PM`)
  const last = layout.columns[cols - 1]
  if (k < n && sc.values[cols - 1] !== '' && (last === 'creationTime' || last === 'other')) {
    sc.values[cols - 1] = text.slice(sc.starts[k - 1], sc.ends[n - 1])
    k = n
  }
  return k === n
}

function complete(layout: TableLayout, sc: RowScratch): boolean {
  for (let c = 0; c < layout.columns.length; c++) {
    const col = layout.columns[c]!
    if (REQUIRED.has(col) && sc.values[c] === '') return false
    if (col !== 'creationTime' && col !== 'other' && sc.values[c]!.includes(' ')) return false
  }
  return true
}

function toFields(layout: TableLayout, sc: RowScratch): ConnectionFields {
  const f = emptyFields()
  for (let c = 0; c < layout.columns.length; c++) {
    const col = layout.columns[c]!
    const v = sc.values[c]!
    if (col === 'localAddress') f.localAddress = v
    else if (col === 'localPort') f.localPort = v
    else if (col === 'remoteAddress') f.remoteAddress = v
    else if (col === 'remotePort') f.remotePort = v
    else if (col === 'state') f.state = v
    else if (col === 'owningProcess') f.owningProcess = v
    else if (col === 'creationTime') f.creationTime = v
  }
  return f
}

const SPLITS = [positional, sequential] as const

/**
 * Splits a table row into connection fields: by column extents first, then one token per column.
 * `check` says whether a split makes a valid record; returns the first split it accepts, else null.
 */
export function splitRow(
  layout: TableLayout,
  text: string,
  sc: RowScratch,
  check: (f: ConnectionFields) => boolean,
): ConnectionFields | null {
  const n = tokenize(text, sc.starts, sc.ends)
  if (n === 0) return null
  for (const split of SPLITS) {
    sc.values.length = layout.columns.length
    sc.values.fill('')
    if (!split(layout, text, n, sc) || !complete(layout, sc)) continue
    const f = toFields(layout, sc)
    if (check(f)) return f
  }
  return null
}

/** `Count Name [ProcessName…] Group` header of Group-Object output. */
export type GroupLayout = {readonly hasProcess: boolean}

/** The layout of a Group-Object table header, or null. */
export function parseGroupHeader(text: string): GroupLayout | null {
  const words = text.trim().split(/\s+/)
  if (words.length < 2 || words.length > 8 || words[0] !== 'Count' || words[1] !== 'Name') return null
  if (!words.every((w) => IDENT.test(w))) return null
  return {hasProcess: words.slice(2).some((w) => w !== 'Group' && w !== 'Values')}
}

/** One Group-Object row: `Count` connections sharing a state and/or owning process. */
export type GroupRow = {count: number; state: TcpState | null; pid: number; process: string | null}

// `Count`, then Name: one or two grouped values (`Bound, 10684`), then the rest (ProcessName, Group)
const NAME_PART = '([A-Za-z][A-Za-z0-9_]*|\\d{1,10})'
const GROUP_ROW = new RegExp(`^\\s*(\\d{1,9})\\s+${NAME_PART}(?:,\\s*${NAME_PART})?(?:\\s+(.*))?$`)

/** Largest Count expanded into records: more than any host can hold in one state for one process. */
const MAX_GROUP_COUNT = 1_000_000

/** Parses a Group-Object row grouped by State and/or OwningProcess (either order); null when not one. */
export function parseGroupRow(layout: GroupLayout, text: string): GroupRow | null {
  const m = GROUP_ROW.exec(text)
  if (!m) return null
  const count = Number(m[1])
  if (count < 1 || count > MAX_GROUP_COUNT) return null
  let state: TcpState | null = null
  let pid = -1
  for (const part of [m[2], m[3]]) {
    if (part === undefined) continue
    const c = part.charCodeAt(0)
    if (c >= 48 && c <= 57) {
      if (pid !== -1) return null
      pid = Number(part)
      if (pid > 0xffffffff) return null
    } else {
      if (state !== null) return null
      state = tcpState(part)
      if (state === null) return null
    }
  }
  let process: string | null = null
  if (layout.hasProcess && m[4] !== undefined) {
    const rest = m[4]
    const brace = rest.indexOf('{')
    // the Group column is `{MSFT_NetTCPConnection (InstanceID = …)…}`; what precedes it is the ProcessName
    const before = brace >= 0 ? rest.slice(0, brace) : rest.split(/\s{2,}/)[0]!
    const name = before.trim()
    process = name === '' || cutOff(name) === '' ? null : name
  }
  return {count, state, pid, process}
}
