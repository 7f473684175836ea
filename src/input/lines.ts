import type Iconv from 'iconv-lite'

import {lazy} from '../lazy.js'

import type {LineParser, RecordSink} from '../formats/types.js'
import {normalizeEncoding} from './encoding.js'

const iconv = lazy<typeof Iconv>('iconv-lite')

/** Decodes bytes [start, end) of one line in the given byte-compatible encoding. */
export function lineDecoder(encoding: string): (buf: Buffer, start: number, end: number) => string {
  const e = normalizeEncoding(encoding)
  if (e === 'utf-8') return (buf, s, end) => buf.toString('utf8', s, end)
  if (e === 'latin1') return (buf, s, end) => buf.toString('latin1', s, end)
  return (buf, s, end) => iconv().decode(buf.subarray(s, end), e)
}

/** Splits decoded text into lines (LF, CRLF, stray CRs at line end), feeding them to the parser in order. */
export class LineSplitter {
  private carry = ''
  /** Pieces of a line still open, kept apart until its end arrives (joining each push made a long line quadratic). */
  private pieces: string[] = []
  private piecesLength = 0
  private lineNo = 0
  private overLong = false

  constructor(
    private readonly parser: LineParser,
    private readonly sink: RecordSink,
    private readonly maxLine: number,
  ) {}

  push(text: string): void {
    if (text.length === 0) return
    if (text.indexOf('\n') === -1) return this.extend(text)
    if (this.pieces.length > 0) {
      this.carry += this.pieces.join('')
      this.pieces = []
      this.piecesLength = 0
    }
    let s = this.carry.length > 0 ? this.carry + text : text
    let start = 0
    for (let nl = s.indexOf('\n'); nl !== -1; nl = s.indexOf('\n', start)) {
      let end = nl
      while (end > start && s.charCodeAt(end - 1) === 13) end--
      // A whole over-long line can arrive in one push: cap it here too, so chunking never changes results.
      if (end - start > this.maxLine && !this.overLong) this.emitTooLong(s.slice(start, start + 200))
      else this.emit(s, start, end)
      start = nl + 1
    }
    if (s.length - start > this.maxLine) {
      if (!this.overLong) this.emitTooLong(s.slice(start, start + 200))
      this.overLong = true
      s = ''
      start = 0
    }
    this.carry = start === 0 ? s : s.slice(start)
  }

  /** Text without a line end: the open line grows, up to the cap. */
  private extend(text: string): void {
    if (this.overLong) return
    this.piecesLength += text.length
    if (this.carry.length + this.piecesLength > this.maxLine) {
      this.emitTooLong((this.carry + this.pieces.join('') + text.slice(0, 200)).slice(0, 200))
      this.overLong = true
      this.carry = ''
      this.pieces = []
      this.piecesLength = 0
      return
    }
    this.pieces.push(text)
  }

  private emit(s: string, start: number, end: number): void {
    if (this.overLong) {
      this.overLong = false
      return
    }
    this.lineNo++
    this.parser.line(s.slice(start, end), this.lineNo)
  }

  private emitTooLong(preview: string): void {
    this.lineNo++
    this.sink.skip(this.lineNo, 'too-long', preview)
  }

  /** Ends the input; returns the number of lines. */
  end(): number {
    let ended = true
    if (this.pieces.length > 0) this.carry += this.pieces.join('')
    this.pieces = []
    this.piecesLength = 0
    if (this.overLong) this.overLong = false
    else if (this.carry.length > 0) {
      let end = this.carry.length
      while (end > 0 && this.carry.charCodeAt(end - 1) === 13) end--
      this.lineNo++
      this.parser.line(this.carry.slice(0, end), this.lineNo)
      // A final CR without LF still ends the line (an old Mac ending, or a copy cut after CR).
      ended = end < this.carry.length
    }
    this.carry = ''
    this.parser.end(ended)
    return this.lineNo
  }
}

/**
 * Splits raw bytes into lines for parsers with a byte fast path: no decoding, no string per line.
 * The buffer handed to the parser is only valid during the call.
 */
export class ByteLineSplitter {
  private carry: Buffer | null = null
  private lineNo = 0
  private overLong = false
  /** The parser takes runs of lines (`rowRun`); its lines are short enough that this cap never applies to them. */
  private readonly runs: boolean

  constructor(
    private readonly parser: LineParser & {lineBytes(buf: Buffer, start: number, end: number, line: number): void},
    private readonly sink: RecordSink,
    private readonly maxLine: number,
    private readonly decode: (buf: Buffer, start: number, end: number) => string,
  ) {
    this.runs = typeof parser.rowRun === 'function' && maxLine >= 512
  }

  /**
   * Where the next line starts, as of the bytes pushed so far: its number and how many of those bytes
   * (an unterminated line) belong to it. Null inside a line too long to keep.
   */
  nextLine(): {line: number; pending: number} | null {
    return this.overLong ? null : {line: this.lineNo + 1, pending: this.carry?.length ?? 0}
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return
    let buf = chunk
    let start = 0
    if (this.carry) {
      // Only the carried partial line is joined with the chunk's first line; the rest is scanned in place
      // (joining whole chunks would copy every byte once more).
      const nl = chunk.indexOf(10)
      const joined = Buffer.concat([this.carry, nl === -1 ? chunk : chunk.subarray(0, nl + 1)])
      this.carry = null
      if (nl === -1) buf = joined
      else {
        this.lines(joined, 0)
        start = nl + 1
      }
    }
    start = this.lines(buf, start)
    if (buf.length - start > this.maxLine) {
      if (!this.overLong) {
        this.lineNo++
        this.sink.skip(this.lineNo, 'too-long', this.decode(buf, start, Math.min(buf.length, start + 200)))
      }
      this.overLong = true
      this.carry = null
      return
    }
    this.carry = start < buf.length ? Buffer.from(buf.subarray(start)) : null
  }

  /** Hands every complete line of buf[start…] to the parser; returns where the unterminated rest begins. */
  private lines(buf: Buffer, start: number): number {
    this.parser.bytes?.(buf)
    try {
      return this.linesOf(buf, start)
    } finally {
      this.parser.bytes?.(null)
    }
  }

  private linesOf(buf: Buffer, start: number): number {
    const runs = this.runs
    for (;;) {
      if (runs && !this.overLong) {
        const n = this.parser.rowRun!(buf, start, buf.length, this.lineNo + 1)
        if (n > 0) {
          this.lineNo += n
          start = this.parser.runEnd!
        }
      }
      const nl = buf.indexOf(10, start)
      if (nl === -1) break
      let end = nl
      while (end > start && buf[end - 1] === 13) end--
      if (this.overLong) this.overLong = false
      else if (end - start > this.maxLine) this.sink.skip(++this.lineNo, 'too-long', this.decode(buf, start, start + 200))
      else this.parser.lineBytes(buf, start, end, ++this.lineNo)
      start = nl + 1
    }
    return start
  }

  /** Ends the input; returns the number of lines. */
  end(): number {
    let ended = true
    if (this.overLong) this.overLong = false
    else if (this.carry && this.carry.length > 0) {
      let end = this.carry.length
      while (end > 0 && this.carry[end - 1] === 13) end--
      this.parser.bytes?.(this.carry)
      this.parser.lineBytes(this.carry, 0, end, ++this.lineNo)
      this.parser.bytes?.(null)
      ended = end < this.carry.length
    }
    this.carry = null
    this.parser.end(ended)
    return this.lineNo
  }
}
