import {isAfdName} from '../shared/dump-common.js'
import type {HandleRecord, LineParser, Parser, RecordSink} from '../types.js'
import {detectTable, type Getter, pick, toInt} from './common.js'
import {createVolatilityLineParser, type RowResult, type TableSpec} from './table.js'

const VOL2_HEADER = /^Offset\(V\)\s+Pid\s+Handle\s+Access\s+Type\s+Details/
const VOL2_ROW = /^\s*(0x[0-9a-fA-F]+)\s+(-?\d+)\s+(0x[0-9a-fA-F]+)\s+(0x[0-9a-fA-F]+)\s+(.*)$/
// Volatility 2 pads Type to 16 characters; only these object types contain a space.
const SPACED_TYPES = ['ALPC Port']
const TYPE_WIDTH = 16

/**
 * Volatility handle tables: 3 `windows.handles` (`PID Process Offset HandleValue Type GrantedAccess
 * Name`, any renderer; garbled type names of unknown objects are still handles) and 2 `handles`
 * (`Offset(V) Pid Handle Access Type Details`, dashed rule, no process name). A handle is a socket
 * when its name is an AFD endpoint (`\Device\Afd\Endpoint`; CSV backslashes already undone).
 */
function handlesSpec(sink: RecordSink): TableSpec {
  const rec: HandleRecord = {pid: -1, process: null, type: '', name: '', afd: false, line: 0}

  const emit = (pid: number, process: string | null, type: string, name: string, line: number): RowResult => {
    rec.pid = pid
    rec.process = process
    rec.type = type
    rec.name = name
    rec.afd = isAfdName(name)
    rec.line = line
    sink.handle(rec)
    return null
  }

  const row = (get: Getter, line: number): RowResult => {
    const pid = toInt(pick(get, 'PID', 'Pid'))
    if (pid === null) return 'malformed'
    return emit(pid, get('Process') || null, get('Type') ?? '', pick(get, 'Name', 'Details') ?? '', line)
  }

  const vol2Row = (text: string, line: number): RowResult | false => {
    const m = VOL2_ROW.exec(text)
    if (!m) return /^\s*0x[0-9a-fA-F]+\s/.test(text) ? 'malformed' : false
    const {type, details} = splitTypeDetails(m[5]!)
    return emit(Number(m[2]), null, type, details, line)
  }

  return {
    plugins: ['handles'],
    matches,
    plugin: () => 'handles',
    row,
    vol2: [{plugin: 'handles', header: VOL2_HEADER, open: () => vol2Row}],
  }
}

/** `ALPC Port        PowerPort`, `Key              MACHINE\SYSTEM`, `Token            `. */
function splitTypeDetails(rest: string): {type: string; details: string} {
  for (const t of SPACED_TYPES) {
    if (rest.startsWith(t) && (rest.length === t.length || rest.charCodeAt(t.length) === 32)) {
      return {type: t, details: rest.slice(t.length).trim()}
    }
  }
  const gap = rest.indexOf('  ')
  // A padded type ends at its run of spaces; a type of 16+ characters is followed by one space.
  const end = gap >= 0 && gap < TYPE_WIDTH ? gap : rest.indexOf(' ')
  if (end < 0) return {type: rest.trim(), details: ''}
  return {type: rest.slice(0, end), details: rest.slice(end).trim()}
}

function matches(cols: readonly string[]): boolean {
  return (
    (cols.includes('HandleValue') && cols.includes('GrantedAccess') && cols.includes('Type')) ||
    (cols.includes('Handle') && cols.includes('Access') && cols.includes('Type') && cols.includes('Details'))
  )
}

/** Volatility 3 `windows.handles` (text, csv, json) and Volatility 2 `handles`. */
export const volatilityHandlesParser: Parser = {
  id: 'volatility-handles',
  description: 'Volatility 3 windows.handles (text, csv, json) and Volatility 2 handles',
  detect: (sample) => detectTable(sample, matches, [VOL2_HEADER]),
  create(sink: RecordSink): LineParser {
    return createVolatilityLineParser(sink, handlesSpec(sink))
  },
}
