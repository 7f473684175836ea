/**
 * Event XML for the `tcpip-events` parser: `wevtutil qe /f:xml` (one event per line, or many on
 * one line), `ToXml()` output, and pretty-printed `<Event>` elements spread over lines.
 */
import {levelName, stampOf} from '../shared/events-common.js'
import type {EventOutput} from '../shared/events-common.js'
import type {EventRecord} from '../types.js'

const ENTITY = /&(?:#x([0-9a-f]+)|#(\d+)|(lt|gt|amp|quot|apos));/gi
const NAMED: Record<string, string> = {lt: '<', gt: '>', amp: '&', quot: '"', apos: "'"}

function decode(s: string): string {
  return s.replace(ENTITY, (_, hex: string | undefined, dec: string | undefined, name: string | undefined) => {
    if (hex) return String.fromCodePoint(parseInt(hex, 16) % 0x110000)
    if (dec) return String.fromCodePoint(Number(dec) % 0x110000)
    return NAMED[name!.toLowerCase()]!
  })
}

const X_PROVIDER = /<Provider\b[^>]*?\bName\s*=\s*['"]([^'"]*)['"]/
const X_ID = /<EventID\b[^>]*>\s*(\d{1,10})\s*<\/EventID>/
const X_LEVEL = /<Level>\s*(\d+)\s*<\/Level>/
const X_TIME = /<TimeCreated\b[^>]*?\bSystemTime\s*=\s*['"]([^'"]+)['"]/
const X_COMPUTER = /<Computer>([^<]*)<\/Computer>/
const X_RENDERED = /<RenderingInfo\b[\s\S]*?<\/RenderingInfo>/
const X_MESSAGE = /<Message>([\s\S]*?)<\/Message>/
const X_RLEVEL = /<Level>([^<]*)<\/Level>/
const X_DATA = /<Data\b[^>]*>([^<]*)<\/Data>/g

/** Where `<Event ` / `<Event>` starts in `text` from `from` (not `<EventData>`, `<Events>`…), or -1. */
function eventStart(text: string, from: number): number {
  for (let i = text.indexOf('<Event', from); i >= 0; i = text.indexOf('<Event', i + 6)) {
    const c = text.charCodeAt(i + 6)
    if (c === 62 || c === 32 || c === 9 || Number.isNaN(c)) return i
  }
  return -1
}

const MAX_XML = 1 << 20

/** `<Event>` elements, one per line or spread over lines; several on one line give records on that line. */
export class XmlEvents {
  private buf: string | null = null
  private startLine = 0
  private startRaw = ''
  /** Another event that started on `startLine` was emitted, so that line is accounted for. */
  private startLineEmitted = false
  private seen = false

  constructor(private readonly out: EventOutput) {}

  get open(): boolean {
    return this.buf !== null
  }

  /** Accounts for a line that holds or continues event XML; false when the line is no XML of ours. */
  line(text: string, no: number): boolean {
    let pos = 0
    if (this.buf === null) {
      if (eventStart(text, 0) < 0) {
        const t = text.trim()
        if (/^<\?xml\b|^<\/?Events[\s>]/.test(t) || (this.seen && t.startsWith('<') && t.endsWith('>'))) {
          this.seen = true
          this.out.structure()
          return true
        }
        return false
      }
    } else {
      const e = text.indexOf('</Event>')
      if (e < 0) {
        this.buf += '\n' + text
        if (this.buf.length > MAX_XML) this.resolve(null)
        this.out.structure()
        return true
      }
      this.buf += '\n' + text.slice(0, e + 8)
      this.resolve(this.buf)
      pos = e + 8
    }
    let started = false
    let emitted = false
    for (let s = eventStart(text, pos); s >= 0; s = eventStart(text, pos)) {
      started = true
      const e = text.indexOf('</Event>', s)
      if (e < 0) {
        this.buf = text.slice(s)
        this.startLine = no
        this.startRaw = text
        this.startLineEmitted = emitted
        return true
      }
      if (this.emit(text.slice(s, e + 8), no)) emitted = true
      pos = e + 8
    }
    if (!started) this.out.structure()
    else if (!emitted) this.out.skip(no, 'malformed', text)
    return true
  }

  /** End of input: an event still open was cut off. */
  end(): void {
    if (this.buf !== null && !this.startLineEmitted) this.out.skip(this.startLine, 'truncated', this.startRaw)
    this.buf = null
  }

  private resolve(xml: string | null): void {
    this.buf = null
    const ok = xml !== null && this.emit(xml, this.startLine)
    if (!ok && !this.startLineEmitted) this.out.skip(this.startLine, 'malformed', this.startRaw)
  }

  private emit(xml: string, line: number): boolean {
    this.seen = true
    const id = X_ID.exec(xml)
    if (!id) return false
    const rendered = X_RENDERED.exec(xml)?.[0]
    let message = rendered ? X_MESSAGE.exec(rendered)?.[1] : undefined
    if (message === undefined) {
      message = Array.from(xml.matchAll(X_DATA), (m) => m[1]!)
        .filter((d) => d.trim() !== '')
        .join(', ')
    }
    const computer = X_COMPUTER.exec(xml)?.[1]?.trim() || null
    const level = (rendered ? X_RLEVEL.exec(rendered)?.[1] : undefined) ?? X_LEVEL.exec(xml)?.[1]
    const time = X_TIME.exec(xml)?.[1]
    const rec: EventRecord = {
      id: Number(id[1]),
      source: decode(X_PROVIDER.exec(xml)?.[1] ?? ''),
      time: null,
      level: level !== undefined ? levelName(decode(level)) : null,
      computer: computer ? decode(computer) : null,
      message: decode(message).trim(),
      pid: null,
      line,
    }
    this.out.noteView('xml')
    this.out.noteHost(rec.computer)
    this.out.event(rec, time ? stampOf(time) : null)
    return true
  }
}
