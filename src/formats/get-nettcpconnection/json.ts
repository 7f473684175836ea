/**
 * Streams `ConvertTo-Json` output (pretty or `-Compress`, an array or a single object) one top-level object
 * at a time: a brace-depth scan across lines keeps only the open object's text.
 */
import type {RecordSink} from '../types.js'

/** Largest object text kept (ConvertTo-Json of one CIM instance at the default depth is a few KiB). */
const MAX_OBJECT_CHARS = 1 << 20

/** Index of the quote ending the string that continues at `from`, or -1 when it runs past the line. */
function closingQuote(text: string, from: number): number {
  for (let q = text.indexOf('"', from); q !== -1; q = text.indexOf('"', q + 1)) {
    let k = q - 1
    while (k >= from && text.charCodeAt(k) === 92) k--
    if ((q - 1 - k) % 2 === 0) return q
  }
  return -1
}

type LineState = {line: number; raw: string; ok: boolean; fail: boolean}

/**
 * Hands each top-level object (the document itself, or each element of a top-level array) to `onObject`
 * when it closes; `onObject` returns true when it emitted a record under the object's first line.
 * Accounts for every line it is fed: an object's first line is a record line (or skipped as `malformed`
 * when the object makes no record), every other line is structure.
 */
export class JsonObjectStream {
  private depth = 0
  private inString = false
  private arrayRoot = false
  private parts: string[] = []
  private size = 0
  private overflow = false
  /** First line of the open top-level object, -1 when none is open. */
  private objLine = -1
  /** The open object's first line, whose accounting waits for the object to close. */
  private pending: LineState | null = null

  constructor(
    private readonly sink: RecordSink,
    private readonly onObject: (value: unknown, line: number) => boolean,
  ) {}

  /** True inside a document (more lines belong to it). */
  get active(): boolean {
    return this.depth > 0
  }

  feed(text: string, line: number): void {
    const cur: LineState = {line, raw: text, ok: false, fail: false}
    let seg = 0
    for (let i = 0; i < text.length; i++) {
      if (this.inString) {
        const q = closingQuote(text, i)
        if (q < 0) break
        this.inString = false
        i = q
        continue
      }
      const c = text.charCodeAt(i)
      if (c === 34) {
        this.inString = true
      } else if (c === 123) {
        if (this.depth === (this.arrayRoot ? 1 : 0)) {
          this.open(line)
          seg = i
        }
        this.depth++
      } else if (c === 91) {
        if (this.depth === 0) this.arrayRoot = true
        this.depth++
      } else if ((c === 125 || c === 93) && this.depth > 0) {
        this.depth--
        if (this.objLine >= 0 && this.depth <= (this.arrayRoot ? 1 : 0)) {
          // a `]` closing the object's level means the brackets do not pair: the object is lost
          if (c === 125) this.append(text.slice(seg, i + 1))
          this.close(cur, c === 125)
        }
        if (this.depth === 0) this.arrayRoot = false
      }
    }
    if (this.objLine >= 0) this.append(`${text.slice(seg)}\n`)
    if (this.objLine === line) this.pending = cur
    else this.settle(cur)
  }

  /**
   * Drops an unfinished document (the loop was killed mid-write, or the input ended). The open object's
   * first line is skipped as `truncated`. Returns true when an object was cut short.
   */
  abort(): boolean {
    const cut = this.objLine >= 0
    if (this.pending && !this.pending.ok) this.sink.skip(this.pending.line, 'truncated', this.pending.raw)
    this.pending = null
    this.depth = 0
    this.inString = false
    this.arrayRoot = false
    this.objLine = -1
    this.parts = []
    this.size = 0
    return cut
  }

  private open(line: number): void {
    this.objLine = line
    this.parts = []
    this.size = 0
    this.overflow = false
  }

  private append(s: string): void {
    if (this.overflow) return
    this.size += s.length
    if (this.size > MAX_OBJECT_CHARS) {
      this.overflow = true
      this.parts = []
    } else {
      this.parts.push(s)
    }
  }

  private close(cur: LineState, complete: boolean): void {
    let ok = false
    if (complete && !this.overflow) {
      try {
        ok = this.onObject(JSON.parse(this.parts.join('')), this.objLine)
      } catch {
        ok = false
      }
    }
    const target = this.objLine === cur.line ? cur : this.pending
    this.objLine = -1
    this.parts = []
    this.size = 0
    if (!target) return
    if (ok) target.ok = true
    else target.fail = true
    if (target !== cur) {
      this.settle(target)
      this.pending = null
    }
  }

  private settle(s: LineState): void {
    if (s.ok) return
    if (s.fail) this.sink.skip(s.line, 'malformed', s.raw)
    else this.sink.structure()
  }
}
