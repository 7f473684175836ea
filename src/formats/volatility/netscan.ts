import {newConnection} from '../shared/records.js'
import type {ConnectionRecord, LineParser, Parser, Proto, RecordSink} from '../types.js'
import {detectTable, type Getter, pick, splitEndpoint, toInt, volState, volTime} from './common.js'
import {createVolatilityLineParser, type RowResult, type TableSpec, type Vol2Table} from './table.js'

// `2012-02-22 20:04:12` with an optional `UTC+0000`, at the end of a Volatility 2 row.
const TRAILING_TIME = /(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2})(?: UTC[+-]\d{4})?$/
const OFFSET = /^0x[0-9a-fA-F]+$/

function protoOf(v: string | null): Proto | null {
  if (v === null) return null
  const u = v.toUpperCase()
  if (u.startsWith('TCP') || u === '6') return 'TCP'
  if (u.startsWith('UDP') || u === '17') return 'UDP'
  return null
}

const NETSCAN_HEADER = /^Offset\([PV]\)\s+Proto\s+Local Address\s+Foreign Address\s+State\s+Pid\s+Owner/
// `connections` lists by virtual address, `connscan` scans physical memory; the same for sockets/sockscan.
const CONNECTIONS_HEADER = /^Offset\(V\)\s+Local Address\s+Remote Address\s+Pid\s*$/
const CONNSCAN_HEADER = /^Offset\(P\)\s+Local Address\s+Remote Address\s+Pid\s*$/
const SOCKETS_HEADER = /^Offset\(V\)\s+PID\s+Port\s+Proto\s+Protocol\s+Address\s+Create Time/
const SOCKSCAN_HEADER = /^Offset\(P\)\s+PID\s+Port\s+Proto\s+Protocol\s+Address\s+Create Time/
const HEADERS = [NETSCAN_HEADER, CONNECTIONS_HEADER, CONNSCAN_HEADER, SOCKETS_HEADER, SOCKSCAN_HEADER]

const has = (cols: readonly string[], ...names: string[]) => names.every((n) => cols.includes(n))

/**
 * The connection tables of Volatility: 3 `windows.netscan` / `windows.netstat` (every renderer),
 * 2 `netscan` (`ip:port` joined, fixed width, no rule), and the XP-era `connscan`/`connections`
 * and `sockets`/`sockscan`.
 *
 * States map to the canonical names (`FIN_WAIT1` → `FIN_WAIT_1`, `SYN_RCVD` → `SYN_RECEIVED`). A
 * TCP row whose state is not a TCP state is skipped as malformed (pool-scan debris). `connscan`,
 * `connections` and `sockets` print no state: their TCP rows carry state null (unknown), which the
 * analysis must not read as UDP. Sockets of other protocols (GRE, raw) are skipped as junk.
 */
function netscanSpec(sink: RecordSink): TableSpec {
  const rec: ConnectionRecord = newConnection()

  /** Fills the shared fields of a row and emits it; `state` undefined means the source has no state column. */
  const emit = (proto: Proto, stateWord: string | null | undefined, line: number): RowResult => {
    rec.proto = proto
    if (proto === 'UDP' || stateWord === undefined) {
      rec.state = null
    } else {
      const state = stateWord === null ? null : volState(stateWord)
      if (state === null) return 'malformed'
      rec.state = state
    }
    // UDP rows have no peer: `*`/`0` in Volatility 3, `*:*` in Volatility 2.
    if (rec.remoteAddr === '*' || proto === 'UDP') rec.remotePort = -1
    rec.line = line
    sink.connection(rec)
    return null
  }

  const row = (get: Getter, line: number): RowResult => {
    const localJoined = get('Local Address')
    const remoteJoined = pick(get, 'Foreign Address', 'Remote Address')
    let proto = protoOf(get('Proto'))
    if (localJoined !== null && get('Proto') === null) proto = 'TCP'
    // Raw sockets (GRE, ICMP) of the XP `sockets` table are no connections.
    if (proto === null) return get('Protocol') === null ? 'malformed' : 'junk'
    if (localJoined !== null) {
      const l = splitEndpoint(localJoined)
      rec.localAddr = l.addr
      rec.localPort = l.port
    } else {
      rec.localAddr = pick(get, 'LocalAddr', 'Address') || '*'
      rec.localPort = toInt(pick(get, 'LocalPort', 'Port')) ?? -1
    }
    if (remoteJoined !== null) {
      const r = splitEndpoint(remoteJoined)
      rec.remoteAddr = r.addr
      rec.remotePort = r.port
    } else {
      rec.remoteAddr = get('ForeignAddr') || '*'
      rec.remotePort = toInt(get('ForeignPort')) ?? -1
    }
    rec.pid = toInt(pick(get, 'PID', 'Pid')) ?? -1
    rec.process = get('Owner') || null
    rec.created = volTime(pick(get, 'Created', 'Create Time'))
    const hasState = get('State') !== null || (get('Proto') !== null && get('Protocol') === null)
    return emit(proto, hasState ? get('State') : undefined, line)
  }

  const vol2Netscan: Vol2Table = {
    plugin: 'netscan',
    header: NETSCAN_HEADER,
    open: () => (text, line) => {
      const tok = text.trim().split(/\s+/)
      if (!OFFSET.test(tok[0]!)) return false
      const proto = protoOf(tok[1] ?? null)
      if (proto === null || tok.length < 5) return 'malformed'
      let i = 4
      let state: string | null = null
      // UDP rows leave State empty; a word there is a state only when it reads as one.
      if (proto === 'TCP' || volState(tok[4]!) !== null) state = tok[i++]!
      const pid = toInt(tok[i] ?? null)
      if (pid === null) return 'malformed'
      const rest = tok.slice(i + 1).join(' ')
      const time = TRAILING_TIME.exec(rest)
      const local = splitEndpoint(tok[2]!)
      const remote = splitEndpoint(tok[3]!)
      rec.localAddr = local.addr
      rec.localPort = local.port
      rec.remoteAddr = remote.addr
      rec.remotePort = remote.port
      rec.pid = pid
      rec.process = (time ? rest.slice(0, time.index) : rest).trim() || null
      rec.created = time ? volTime(time[0]) : null
      return emit(proto, state, line)
    },
  }

  const connectionsRow = (text: string, line: number): RowResult | false => {
    const tok = text.trim().split(/\s+/)
    if (!OFFSET.test(tok[0]!)) return false
    if (tok.length !== 4 && tok.length !== 3) return 'malformed'
    const local = splitEndpoint(tok[1]!)
    const remote = splitEndpoint(tok[2]!)
    rec.localAddr = local.addr
    rec.localPort = local.port
    rec.remoteAddr = remote.addr
    rec.remotePort = remote.port
    rec.pid = toInt(tok[3] ?? null) ?? -1
    rec.process = null
    rec.created = null
    return emit('TCP', undefined, line)
  }

  const socketsRow = (text: string, line: number): RowResult | false => {
    const m = /^\s*(0x[0-9a-fA-F]+)\s+(-?\d+)\s+(\d+)\s+(\d+)\s+(\S+)\s+(\S+)\s*(.*)$/.exec(text)
    if (!m) return OFFSET.test(text.trim().split(/\s+/)[0]!) ? 'malformed' : false
    const proto = protoOf(m[4]!)
    if (proto === null) return 'junk'
    rec.localAddr = m[6]!
    rec.localPort = Number(m[3])
    rec.remoteAddr = '*'
    rec.remotePort = -1
    rec.pid = Number(m[2])
    rec.process = null
    rec.created = volTime(m[7]!.trim() || null)
    return emit(proto, undefined, line)
  }

  return {
    plugins: ['netscan', 'netstat', 'connscan', 'connections', 'sockets', 'sockscan'],
    matches,
    plugin: (cols) => (!cols.includes('Local Address') ? null : cols.includes('Proto') ? 'netscan' : 'connscan'),
    row,
    vol2: [
      vol2Netscan,
      {plugin: 'connections', header: CONNECTIONS_HEADER, open: () => connectionsRow},
      {plugin: 'connscan', header: CONNSCAN_HEADER, open: () => connectionsRow},
      {plugin: 'sockets', header: SOCKETS_HEADER, open: () => socketsRow},
      {plugin: 'sockscan', header: SOCKSCAN_HEADER, open: () => socketsRow},
    ],
  }
}

function matches(cols: readonly string[]): boolean {
  return (
    has(cols, 'LocalAddr', 'ForeignAddr') ||
    has(cols, 'Local Address', 'Foreign Address') ||
    has(cols, 'Local Address', 'Remote Address') ||
    has(cols, 'Port', 'Proto', 'Protocol', 'Address')
  )
}

/** Volatility `netscan`/`netstat` (3: text, csv, json; 2: fixed width) and XP `connscan`/`sockets`. */
export const volatilityNetscanParser: Parser = {
  id: 'volatility-netscan',
  description: 'Volatility 3 windows.netscan / netstat (text, csv, json), Volatility 2 netscan, connscan, sockets',
  detect: (sample) => detectTable(sample, matches, HEADERS),
  create(sink: RecordSink): LineParser {
    return createVolatilityLineParser(sink, netscanSpec(sink))
  },
}
