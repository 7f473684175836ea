/**
 * Label-block event layouts for the `tcpip-events` parser: Event Viewer "copy details as text",
 * `wevtutil qe /f:text` (`Event[0]:` blocks) and `Get-WinEvent | Format-List`.
 */
import {isPrompt, levelName, stampOf} from '../shared/events-common.js'
import type {EventOutput} from '../shared/events-common.js'
import type {EventRecord} from '../types.js'

type Field = 'log' | 'source' | 'date' | 'id' | 'level' | 'computer' | 'text' | 'xml' | 'other'

const DETAIL_LABELS: Record<string, Field> = {}
const LIST_LABELS: Record<string, Field> = {}
const label = (table: Record<string, Field>, field: Field, names: string) => {
  for (const n of names.split('|')) table[n] = field
}
// Event Viewer and wevtutil labels: English, German, French (the German and French details labels
// follow the localized CSV headers; they were not seen in a real copy).
label(DETAIL_LABELS, 'log', "log name|protokollname|nom du journal")
label(DETAIL_LABELS, 'source', 'source|quelle')
label(DETAIL_LABELS, 'date', 'date|datum')
label(DETAIL_LABELS, 'id', "event id|ereignis-id|id de l'événement|id de l'evenement")
label(DETAIL_LABELS, 'level', 'level|ebene|niveau')
label(DETAIL_LABELS, 'computer', 'computer|ordinateur')
label(DETAIL_LABELS, 'text', 'description|beschreibung')
label(DETAIL_LABELS, 'xml', "event xml|ereignis-xml|xml de l'événement")
// Get-WinEvent property names are not localized.
label(LIST_LABELS, 'log', 'logname')
label(LIST_LABELS, 'source', 'providername')
label(LIST_LABELS, 'date', 'timecreated')
label(LIST_LABELS, 'id', 'id')
label(LIST_LABELS, 'level', 'leveldisplayname|level')
label(LIST_LABELS, 'computer', 'machinename')
label(LIST_LABELS, 'text', 'message')

const LABEL = /^(\s*)([^\s:][^:]{0,40}?)\s*:(?:\s+(.*))?$/
const WEVTUTIL_HEAD = /^Event\[\d+\]:\s*$/

const MAX_TEXT = 65536

const norm = (s: string) => s.toLowerCase().replace(/[’`´]/g, "'").replace(/\s+/g, ' ')

/** A `Label: value` line: indentation, the label normalized, the value trimmed. */
function parseLabel(text: string): {indent: boolean; name: string; value: string} | null {
  if (text.length > 4000) return null
  const m = LABEL.exec(text)
  return m ? {indent: m[1] !== '', name: norm(m[2]!), value: (m[3] ?? '').trim()} : null
}

type Kind = 'details' | 'wevtutil' | 'list'

type Block = {
  kind: Kind
  line: number
  raw: string
  seen: Set<Field>
  values: Partial<Record<Field, string>>
  text: string[]
  /** Characters in `text`, which stops growing at {@link MAX_TEXT}. */
  chars: number
  /** `head`: label lines; `text`: the description; `xml`: the `Event Xml:` part of copied details. */
  part: 'head' | 'text' | 'xml'
  last: Field | null
}

function push(b: Block, text: string): void {
  if (b.chars > MAX_TEXT) return
  b.text.push(text)
  b.chars += text.length + 1
}

/** Starts of a block: the fields a layout prints first (details may be copied from their middle). */
const DETAIL_STARTS = new Set<Field>(['log', 'source', 'id'])
const LIST_STARTS = new Set<Field>(['date', 'source', 'id', 'text'])

/**
 * Label blocks. Every line of a block but its first is structure; the first carries the record,
 * or is skipped when the block never named an event id.
 */
export class FieldBlocks {
  private block: Block | null = null

  constructor(private readonly out: EventOutput) {}

  get open(): boolean {
    return this.block !== null
  }

  /** Starts a block when `text` is one's first line. */
  start(text: string, no: number): boolean {
    if (WEVTUTIL_HEAD.test(text)) return this.begin('wevtutil', text, no, null)
    const l = parseLabel(text)
    if (!l || l.indent) return false
    const list = LIST_LABELS[l.name]
    if (list && LIST_STARTS.has(list) && /^[A-Za-z]+\s+:/.test(text)) return this.begin('list', text, no, l)
    const detail = DETAIL_LABELS[l.name]
    if (detail && DETAIL_STARTS.has(detail)) return this.begin('details', text, no, l)
    return false
  }

  /** Feeds a line to the open block: false when the line ends the block without belonging to it. */
  line(text: string, no: number): boolean {
    const b = this.block!
    if (b.part === 'xml') {
      // A copy whose XML was cut must not swallow the next copied event.
      if (/^[^\s<]/.test(text) && DETAIL_LABELS[parseLabel(text)?.name ?? ''] === 'log') {
        this.close(false)
        return this.start(text, no)
      }
      this.out.structure()
      if (text.includes('</Event>')) this.close(false)
      return true
    }
    if (b.part === 'text' && b.kind !== 'list') return this.description(b, text, no)
    if (text.trim() === '') {
      this.out.structure()
      return true
    }
    const l = parseLabel(text)
    if (b.kind === 'list') {
      if (l && !l.indent && /^[A-Za-z][A-Za-z0-9]*\s+:/.test(text)) {
        return this.field(b, LIST_LABELS[l.name] ?? 'other', l.value, text, no)
      }
      if (/^\s/.test(text)) {
        if (b.last === 'text') push(b, text.trim())
        this.out.structure()
        return true
      }
      this.close(false)
      return false
    }
    if (WEVTUTIL_HEAD.test(text)) {
      this.close(false)
      return false
    }
    if (l) return this.field(b, DETAIL_LABELS[l.name] ?? 'other', l.value, text, no)
    if (b.kind === 'wevtutil' && /^\s/.test(text)) {
      this.out.structure()
      return true
    }
    this.close(false)
    return false
  }

  /** Emits (or skips) the open block. */
  close(atEnd: boolean): void {
    const b = this.block
    if (!b) return
    this.block = null
    const id = b.values.id ?? ''
    // A list block needs more than an `Id` (Get-Process | Format-List has one too).
    const named = b.kind !== 'list' || b.values.source !== undefined || b.values.date !== undefined
    if (!/^\d{1,10}$/.test(id) || !named) {
      this.out.skip(b.line, atEnd ? 'truncated' : 'malformed', b.raw)
      return
    }
    const text = b.kind === 'list' ? b.text.join(' ') : b.text.join('\n')
    const computer = b.values.computer || null
    const rec: EventRecord = {
      id: Number(id),
      source: b.values.source ?? '',
      time: null,
      level: b.values.level ? levelName(b.values.level) : null,
      computer,
      message: text.trim(),
      pid: null,
      line: b.line,
    }
    this.out.noteHost(computer)
    this.out.event(rec, b.values.date ? stampOf(b.values.date) : null)
  }

  private begin(kind: Kind, text: string, no: number, l: {name: string; value: string} | null): boolean {
    this.close(false)
    const b: Block = {
      kind,
      line: no,
      raw: text,
      seen: new Set(),
      values: {},
      text: [],
      chars: 0,
      part: 'head',
      last: null,
    }
    this.block = b
    this.out.noteView(kind === 'list' ? 'format-list' : kind === 'wevtutil' ? 'wevtutil-text' : 'details')
    if (l) this.set(b, (kind === 'list' ? LIST_LABELS : DETAIL_LABELS)[l.name] ?? 'other', l.value)
    return true
  }

  private field(b: Block, f: Field, value: string, text: string, no: number): boolean {
    // A field met twice is the next record (Format-List records are separated by blank lines only).
    if (f !== 'other' && f !== 'level' && b.seen.has(f)) {
      const kind = b.kind
      this.close(false)
      const l = parseLabel(text)!
      if (kind === 'wevtutil') return false
      return this.begin(kind, text, no, l)
    }
    if (f === 'xml') {
      b.part = 'xml'
      b.seen.add(f)
    } else this.set(b, f, value)
    this.out.structure()
    return true
  }

  private set(b: Block, f: Field, value: string): void {
    b.last = f
    if (f === 'other') return
    b.seen.add(f)
    if (f === 'text') {
      b.part = 'text'
      if (value !== '') push(b, value)
    } else if (f === 'level') {
      // Format-List * prints both Level (a number) and LevelDisplayName: keep the name.
      if (!b.values.level || /^\d+$/.test(b.values.level)) b.values.level = value
    } else b.values[f] = value
  }

  /** A description line of copied details or wevtutil: everything until the next block or `Event Xml:`. */
  private description(b: Block, text: string, no: number): boolean {
    if (WEVTUTIL_HEAD.test(text) || isPrompt(text)) {
      this.close(false)
      return false
    }
    const l = text.includes(':') ? parseLabel(text) : null
    const f = l ? DETAIL_LABELS[l.name] : undefined
    if (f === 'xml' && !l!.indent) {
      b.part = 'xml'
      this.out.structure()
      return true
    }
    if (f === 'log' && b.kind === 'details' && !l!.indent) {
      this.close(false)
      return this.start(text, no)
    }
    push(b, text.trimEnd())
    this.out.structure()
    return true
  }
}
