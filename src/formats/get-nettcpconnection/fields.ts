/**
 * Field values shared by every Get-NetTCPConnection / Get-NetUDPEndpoint view (table, list, CSV, JSON,
 * Group-Object): state names and CIM enum numbers, numeric fields, CreationTime, and the record they make.
 */
import {parseDateTime} from '../shared/timestamps.js'
import type {ConnectionRecord, DateOrder, Proto, TcpState, WallTime} from '../types.js'

// Keys are lower-cased with `_` removed, so netstat spellings (TIME_WAIT, LISTENING) map too.
const BY_NAME = new Map<string, TcpState>([
  ['listen', 'LISTENING'],
  ['listening', 'LISTENING'],
  ['established', 'ESTABLISHED'],
  ['timewait', 'TIME_WAIT'],
  ['closewait', 'CLOSE_WAIT'],
  ['bound', 'BOUND'],
  ['closed', 'CLOSED'],
  ['closing', 'CLOSING'],
  ['deletetcb', 'DELETE_TCB'],
  ['finwait1', 'FIN_WAIT_1'],
  ['finwait2', 'FIN_WAIT_2'],
  ['lastack', 'LAST_ACK'],
  ['synreceived', 'SYN_RECEIVED'],
  ['synsent', 'SYN_SENT'],
])

/** MSFT_NetTCPConnection.State values (CIM enum as written by ConvertTo-Json and some Export-Csv files). */
const BY_NUMBER = new Map<number, TcpState>([
  [1, 'CLOSED'],
  [2, 'LISTENING'],
  [3, 'SYN_SENT'],
  [4, 'SYN_RECEIVED'],
  [5, 'ESTABLISHED'],
  [6, 'FIN_WAIT_1'],
  [7, 'FIN_WAIT_2'],
  [8, 'CLOSE_WAIT'],
  [9, 'CLOSING'],
  [10, 'LAST_ACK'],
  [11, 'TIME_WAIT'],
  [12, 'DELETE_TCB'],
  [100, 'BOUND'],
])

/** Text that ends with the ellipsis PowerShell writes when it cuts a value to the column width. */
export function cutOff(s: string): string | null {
  if (s.endsWith('...')) return s.slice(0, -3)
  if (s.endsWith('…')) return s.slice(0, -1)
  return null
}

/**
 * The canonical state of a PascalCase name (`TimeWait`), a netstat spelling (`TIME_WAIT`) or a CIM enum
 * number (`11`, as number or text). A name cut short by a narrow console (`Establi...`) maps when the
 * prefix is unambiguous. Null when unknown.
 */
export function tcpState(value: unknown): TcpState | null {
  if (typeof value === 'number') return BY_NUMBER.get(value) ?? null
  if (typeof value !== 'string') return null
  const s = value.trim()
  if (s === '' || s.length > 20) return null
  const c = s.charCodeAt(0)
  if (c >= 48 && c <= 57) return /^\d{1,3}$/.test(s) ? (BY_NUMBER.get(Number(s)) ?? null) : null
  const key = s.toLowerCase().replaceAll('_', '')
  const hit = BY_NAME.get(key)
  if (hit) return hit
  const prefix = cutOff(key)
  if (prefix === null || prefix.length < 2) return null
  let found: TcpState | null = null
  for (const [name, state] of BY_NAME) {
    if (!name.startsWith(prefix) || found === state) continue
    if (found !== null) return null
    found = state
  }
  return found
}

/** A non-negative integer no greater than `max`, from a JSON number or a text of digits; null otherwise. */
function intField(value: unknown, max: number): number | null {
  if (typeof value === 'number') return Number.isInteger(value) && value >= 0 && value <= max ? value : null
  if (typeof value !== 'string') return null
  const s = value.trim()
  if (s.length === 0 || s.length > 10) return null
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c < 48 || c > 57) return null
  }
  const n = Number(s)
  return n <= max ? n : null
}

const blank = (v: unknown) => v === undefined || v === null || (typeof v === 'string' && v.trim() === '')

// zh-CN / ja-JP short dates (`2022/3/9 10:31:36`) that parseDateTime does not take with one-digit day or month
const YMD_SHORT = /^(\d{4})([/.-])(\d{1,2})\2(\d{1,2})(?=\s)/
const padYmd = (_: string, y: string, sep: string, mo: string, d: string) =>
  `${y}${sep}${mo.padStart(2, '0')}${sep}${d.padStart(2, '0')}`

const DOTNET_DATE = /^\/Date\((-?\d{1,15})(?:([+-])(\d{2})(\d{2}))?\)\/$/

/**
 * CreationTime as written: the machine culture's text (via parseDateTime), ISO 8601 from PowerShell 7 JSON,
 * or Windows PowerShell's `/Date(ms)/` (UTC epoch; an explicit offset is applied to get the wall clock).
 */
export function creationTime(value: unknown, order: DateOrder | undefined): WallTime | null {
  if (typeof value === 'string') {
    const s = value.trim()
    if (s.length < 8 || s.length > 80) return null
    const m = DOTNET_DATE.exec(s)
    if (!m) return parseDateTime(s, order) ?? parseDateTime(s.replace(YMD_SHORT, padYmd), order)
    const offset = m[2] ? (m[2] === '-' ? -1 : 1) * (Number(m[3]) * 60 + Number(m[4])) * 60_000 : 0
    return Number(m[1]) + offset
  }
  // ConvertTo-Json of a DateTime carrying script properties: {value, DisplayHint, DateTime}
  if (typeof value === 'object' && value !== null) {
    const o = value as Record<string, unknown>
    return creationTime(o.value, order) ?? creationTime(o.DateTime, order)
  }
  return null
}

/** Connection fields as read from one view, before validation (strings from text views, any JSON value). */
export type ConnectionFields = {
  localAddress: unknown
  localPort: unknown
  remoteAddress: unknown
  remotePort: unknown
  state: unknown
  owningProcess: unknown
  creationTime: unknown
}

/** Get-NetTCPConnection's property names (CSV headers, `Format-List` labels) → fields. */
export const FIELD_OF_PROPERTY: Readonly<Record<string, keyof ConnectionFields>> = {
  LocalAddress: 'localAddress',
  LocalPort: 'localPort',
  RemoteAddress: 'remoteAddress',
  RemotePort: 'remotePort',
  State: 'state',
  OwningProcess: 'owningProcess',
  CreationTime: 'creationTime',
}

export const emptyFields = (): ConnectionFields => ({
  localAddress: undefined,
  localPort: undefined,
  remoteAddress: undefined,
  remotePort: undefined,
  state: undefined,
  owningProcess: undefined,
  creationTime: undefined,
})

/** An address as written, or null when it cannot be one (spaces, not text). Blank means unknown (`*`). */
function address(value: unknown): string | null {
  if (blank(value)) return '*'
  if (typeof value !== 'string') return null
  const s = value.trim()
  return /\s/.test(s) ? null : s
}

/**
 * Fills `rec` from `f`. Returns false when a field that is present does not parse (the row is malformed);
 * LocalPort is required. UDP rows get remote `*`/-1 and no state. A PID cut off by the console is -1.
 */
export function fillConnection(
  rec: ConnectionRecord,
  f: ConnectionFields,
  proto: Proto,
  line: number,
  order: DateOrder | undefined,
): boolean {
  const localPort = intField(f.localPort, 65535)
  const localAddr = address(f.localAddress)
  if (localPort === null || localAddr === null) return false
  let pid = -1
  if (!blank(f.owningProcess)) {
    const n = intField(f.owningProcess, 0xffffffff)
    if (n !== null) pid = n
    else if (typeof f.owningProcess !== 'string' || cutOff(f.owningProcess.trim()) === null) return false
  }
  rec.proto = proto
  rec.localAddr = localAddr
  rec.localPort = localPort
  rec.pid = pid
  rec.process = null
  rec.created = blank(f.creationTime) ? null : creationTime(f.creationTime, order)
  rec.line = line
  if (proto === 'UDP') {
    rec.remoteAddr = '*'
    rec.remotePort = -1
    rec.state = null
    return true
  }
  const remoteAddr = address(f.remoteAddress)
  const remotePort = blank(f.remotePort) ? -1 : intField(f.remotePort, 65535)
  const state = blank(f.state) ? null : tcpState(f.state)
  if (remoteAddr === null || remotePort === null || (state === null && !blank(f.state))) return false
  rec.remoteAddr = remoteAddr
  rec.remotePort = remotePort
  rec.state = state
  return true
}

export {newConnection} from '../shared/records.js'
