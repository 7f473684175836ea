import {EventOutput, knownLevel, levelName, otherReason, QuotedRow, quoteParity, splitDelimited, stampOf} from '../shared/events-common.js'
import {FieldBlocks} from './blocks.js'
import {XmlEvents} from './xml.js'
import {DOCUMENT_CHARS, type EventRecord, type LineParser, type Parser, type ParseOptions, type RecordSink} from '../types.js'

/**
 * What an event says about port exhaustion, or null when it says nothing. Tcpip ids count only from
 * the Tcpip provider; WinSock errors only when the message names the error and a socket context.
 */
export type EventSymptom =
  | 'time-wait-collision' // Tcpip 4227
  | 'tcp-ports-exhausted' // Tcpip 4231
  | 'udp-ports-exhausted' // Tcpip 4266
  | 'afd-too-many-addresses' // Winsock-AFD bind/connect with STATUS_TOO_MANY_ADDRESSES (netsh-trace, id 521)
  | 'wsaenobufs' // WinSock 10055 in an application event
  | 'wsaeaddrinuse' // WinSock 10048 in an application event

const TCPIP_IDS: Record<number, EventSymptom> = {
  4227: 'time-wait-collision',
  4231: 'tcp-ports-exhausted',
  4266: 'udp-ports-exhausted',
}

/** The WinSock error by name or English text, or its number within a line of a socket word. */
function winsockError(name: string, text: string, code: number, context: string): RegExp {
  const near = `[^\\n]{0,80}`
  const after = `\\b${code}\\b${near}\\b(?:${context})`
  const before = `\\b(?:winsock|socket)\\b${near}\\b${code}\\b`
  return new RegExp(`\\b${name}\\b|${text}|${after}|${before}`, 'i')
}
const ENOBUFS_TEXT = 'lacked sufficient buffer space or because a queue was full'
const ENOBUFS = winsockError('WSAENOBUFS', ENOBUFS_TEXT, 10055, 'winsock|socket|buffer space')
const ADDRINUSE_TEXT = 'only one usage of each socket address'
const ADDRINUSE = winsockError('WSAEADDRINUSE', ADDRINUSE_TEXT, 10048, 'winsock|socket|address')

/** Classifies an event (from either event parser) for the analysis. */
export function eventSymptom(e: Pick<EventRecord, 'id' | 'source' | 'message'>): EventSymptom | null {
  const source = e.source.toLowerCase()
  const tcpip = TCPIP_IDS[e.id]
  if (tcpip && (source === 'tcpip' || source === 'microsoft-windows-tcpip')) return tcpip
  // Get-WinEvent tables printed without their `ProviderName:` line: trust the Tcpip wording only.
  if (tcpip && source === '' && /ephemeral port|local endpoint was recently used/i.test(e.message)) return tcpip
  if (e.id === 521 && source === 'microsoft-windows-winsock-afd') return 'afd-too-many-addresses'
  if (source === 'tcpip') return null
  if (ENOBUFS.test(e.message)) return 'wsaenobufs'
  if (ADDRINUSE.test(e.message)) return 'wsaeaddrinuse'
  return null
}

// Event Viewer export headers by column; English, German and French are documented, the rest best effort.
const HEADER_WORDS: readonly (readonly string[])[] = [
  ['level', 'ebene', 'niveau', 'nivel', 'livello', 'nível'],
  ['date and time', 'datum und uhrzeit', 'date et heure', 'fecha y hora', 'data e ora', 'data e hora', 'datum en tijd'],
  ['source', 'quelle', 'origen', 'origine', 'fonte', 'bron'],
  ['event id', 'ereignis-id', "id de l'événement", 'id. del evento', 'id evento', 'id do evento', 'gebeurtenis-id'],
  [
    'task category',
    'aufgabenkategorie',
    'catégorie de la tâche',
    'categoría de la tarea',
    'categoria attività',
    'categoria da tarefa',
    'taakcategorie',
  ],
]

const norm = (s: string) => s.trim().replace(/^"|"$/g, '').toLowerCase().replace(/[’`´]/g, "'").replace(/\s+/g, ' ')

/** An Event Viewer CSV (`,`) or text (tab) export header, with whether it is the English one. */
function eventHeader(text: string): {delim: ',' | '\t'; english: boolean} | null {
  if (text.length > 400) return null
  const delim = text.includes('\t') ? '\t' : text.includes(',') ? ',' : null
  if (!delim) return null
  const cells = splitDelimited(text, delim).map(norm)
  if (cells.length < 5 || cells.length > 6) return null
  let hits = 0
  for (let i = 0; i < 5; i++) if (HEADER_WORDS[i]!.includes(cells[i]!)) hits++
  return hits >= 3 ? {delim, english: cells[0] === 'level' && cells[1] === 'date and time'} : null
}

/** Fields of a row of an Event Viewer export: Level, Date and Time, Source, Event ID, Task Category, message. */
function rowShape(f: readonly string[], strict: boolean): boolean {
  if (f.length < 5 || !/^\s*\d{1,5}\s*$/.test(f[3]!)) return false
  return !strict || (knownLevel(f[0]!) !== null && stampOf(f[1]!) !== null)
}

const TABLE_HEADER = /^\s*TimeCreated\s+Id\b.*\bMessage\s*$/
const GROUP = /^\s+ProviderName:\s*(.*)$/
const MAX_ROW_LINES = 2000
const MAX_ROW_CHARS = 1 << 20
const MAX_LINE = 1 << 20

/**
 * Windows event exports: Event Viewer CSV and tab-separated text ("Save All Events As"), copied
 * details, `wevtutil qe /f:text` and `/f:xml`, `Get-WinEvent` as a table or `Format-List`.
 * Every event is emitted (the analysis picks the ids it wants with {@link eventSymptom}).
 */
class TcpipEventsLineParser implements LineParser {
  private readonly out: EventOutput
  private readonly blocks: FieldBlocks
  private readonly xml: XmlEvents
  private delim: ',' | '\t' | null = null
  private row: QuotedRow | null = null
  private table: {level: number; message: number} | null = null
  private tableSource = ''
  private broken: {line: number; raw: string} | null = null

  constructor(sink: RecordSink, options: ParseOptions) {
    this.out = new EventOutput(sink, options.dateOrder)
    this.blocks = new FieldBlocks(this.out)
    this.xml = new XmlEvents(this.out)
  }

  line(input: string, no: number): void {
    const text = no === 1 && input.charCodeAt(0) === 0xfeff ? input.slice(1) : input
    if (this.broken) {
      this.out.skip(this.broken.line, 'malformed', this.broken.raw)
      this.broken = null
    }
    if (this.row) return this.continueRow(text)
    // wevtutil may write many events on one line: only lines without event XML are capped.
    if (text.length > MAX_LINE && !this.xml.open && !text.includes('<Event')) {
      this.blocks.close(false)
      return this.out.skip(no, 'too-long', text.slice(0, 200))
    }
    if (this.xml.open) {
      this.xml.line(text, no)
      return
    }
    if (this.blocks.open && this.blocks.line(text, no)) return
    this.fresh(text, no)
  }

  end(endedWithNewline: boolean): void {
    if (this.row) this.out.skip(this.row.line, 'truncated', this.row.raw)
    this.row = null
    this.xml.end()
    this.blocks.close(true)
    if (this.broken) this.out.skip(this.broken.line, endedWithNewline ? 'malformed' : 'truncated', this.broken.raw)
    this.broken = null
    this.out.finish()
  }

  private fresh(text: string, no: number): void {
    const t = text.trim()
    if (t === '') return this.out.structure()
    // Rows are the bulk of an export: try them first once a header fixed the layout.
    if (this.delim && this.delimitedRow(text, no)) return
    if (t.charCodeAt(0) === 60 && this.xml.line(text, no)) return this.leaveRows()
    if (this.blocks.start(text, no)) return this.leaveRows()
    const header = eventHeader(text)
    if (header) {
      this.leaveRows()
      this.delim = header.delim
      if (!header.english) this.out.setHint('dmy')
      this.out.noteView(header.delim === ',' ? 'csv' : 'txt')
      return this.out.structure()
    }
    if (this.tableLine(text, t, no) || (!this.delim && this.delimitedRow(text, no))) return
    if ((this.delim && text.includes(this.delim)) || (this.table && /^\d/.test(t))) this.broken = {line: no, raw: text}
    else this.out.skip(no, otherReason(text), text)
  }

  private leaveRows(): void {
    this.delim = null
    this.table = null
  }

  private delimitedRow(text: string, no: number): boolean {
    for (const d of this.delim ? [this.delim] : (['\t', ','] as const)) {
      if (!text.includes(d)) continue
      const f = splitDelimited(text, d)
      if (!rowShape(f, this.delim === null)) continue
      if (this.delim === null) this.out.noteView(d === ',' ? 'csv' : 'txt')
      if (quoteParity(text)) this.row = new QuotedRow(no, text, d, MAX_ROW_LINES, MAX_ROW_CHARS)
      else this.emitRow(f, d, no)
      return true
    }
    return false
  }

  private continueRow(text: string): void {
    const r = this.row!
    this.out.structure()
    const state = r.add(text)
    if (state === 'open') return
    this.row = null
    if (state === 'closed') this.emitRow(splitDelimited(r.text, r.delim), r.delim, r.line)
    else this.out.skip(r.line, 'malformed', r.raw)
  }

  private emitRow(f: readonly string[], delim: string, line: number): void {
    const rec: EventRecord = {
      id: Number(f[3]!.trim()),
      source: f[2]!.trim(),
      time: null,
      level: levelName(f[0]!),
      computer: null,
      message: f.slice(5).join(delim).trim(),
      pid: null,
      line,
    }
    this.out.event(rec, stampOf(f[1]!))
  }

  /** Get-WinEvent's default table: `ProviderName:` group lines, header, dashes, rows, wrapped lines. */
  private tableLine(text: string, t: string, no: number): boolean {
    const group = GROUP.exec(text)
    if (group) {
      this.tableSource = group[1]!.trim()
      this.out.structure()
      return true
    }
    if (TABLE_HEADER.test(text)) {
      this.delim = null
      this.table = {level: text.indexOf('LevelDisplayName'), message: text.lastIndexOf('Message')}
      this.out.noteView('table')
      this.out.structure()
      return true
    }
    const tbl = this.table
    if (!tbl) return false
    if (t.charCodeAt(0) === 45 && /^[-\s]+$/.test(t)) {
      this.out.structure()
      return true
    }
    const head = text.slice(0, tbl.level >= 0 ? tbl.level : tbl.message).trimEnd()
    if (head === '' && text.length > tbl.message) {
      this.out.structure()
      return true
    }
    const m = /(\d{1,10})$/.exec(head)
    const stamp = m ? stampOf(head.slice(0, head.length - m[1]!.length)) : null
    if (!m || !stamp) return false
    const rec: EventRecord = {
      id: Number(m[1]),
      source: this.tableSource,
      time: null,
      level: tbl.level >= 0 ? levelName(text.slice(tbl.level, tbl.message)) : null,
      computer: null,
      message: text.slice(tbl.message).trim(),
      pid: null,
      line: no,
    }
    this.out.event(rec, stamp)
    return true
  }
}

/** Lines of the sample, at most `max`, without CR and BOM. */
function sampleLines(sample: string, max: number): string[] {
  const lines = sample.slice(0, 65536).split('\n', max)
  if (lines[0]?.charCodeAt(0) === 0xfeff) lines[0] = lines[0].slice(1)
  return lines.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l))
}

const DETAIL_ID = /^\s*(?:event id|ereignis-id|id de l['’]événement)\s*:/i
const DETAIL_OTHER = /^\s*(?:log name|protokollname|nom du journal|source|quelle)\s*:/i
const EVENT_NS = /<Event\s+xmlns=['"]http:\/\/schemas\.microsoft\.com\/win\/2004\/08\/events\/event/
const LIST_ID = /^Id\s+:\s*\d+\s*$/
const LIST_OTHER = /^(?:TimeCreated|ProviderName)\s+:/

function detect(sample: string): number {
  try {
    let best = 0
    let rows = 0
    let detailId = false
    let detailOther = false
    let wevtutil = false
    let listId = false
    let listOther = false
    let xmlId = false
    for (const line of sampleLines(sample, 400)) {
      const t = line.trimStart()
      if (t === '') continue
      if (t.startsWith('<')) {
        if (EVENT_NS.test(t)) best = Math.max(best, 0.95)
        else if (t.includes('<EventID')) xmlId = true
        continue
      }
      if (eventHeader(line)) best = Math.max(best, 0.95)
      else if (TABLE_HEADER.test(line)) best = Math.max(best, 0.9)
      else if (/^Event\[\d+\]:\s*$/.test(line)) wevtutil = true
      else if (DETAIL_ID.test(line)) detailId = true
      else if (DETAIL_OTHER.test(line)) detailOther = true
      else if (LIST_ID.test(line)) listId = true
      else if (LIST_OTHER.test(line)) listOther = true
      else if (rows < 3 && line.length < 4000) {
        for (const d of ['\t', ','] as const) if (line.includes(d) && rowShape(splitDelimited(line, d), true)) rows++
      }
    }
    if (xmlId && sample.includes('<Provider')) best = Math.max(best, 0.85)
    if (detailId && wevtutil) best = Math.max(best, 0.95)
    if (detailId && detailOther) best = Math.max(best, 0.9)
    if (listId && listOther) best = Math.max(best, 0.9)
    if (rows > 0) best = Math.max(best, rows >= 2 ? 0.8 : 0.5)
    return best
  } catch {
    return 0
  }
}

export const tcpipEventsParser: Parser = {
  id: 'tcpip-events',
  description:
    'Windows events (Tcpip 4227/4231/4266 and the rest of the log): Event Viewer CSV/text exports, copied details, ' +
    'wevtutil text/XML, Get-WinEvent',
  detect,
  create: (sink, options) => new TcpipEventsLineParser(sink, options),
  documentChars: DOCUMENT_CHARS,
}
