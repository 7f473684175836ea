/**
 * Reads Volatility JSON renderings line by line, without holding the document: Volatility 3
 * `-r json` (`json.dumps(rows, indent=2, sort_keys=True)`, tree rows nested in `__children`),
 * `-r jsonl` (one row tree per line) and Volatility 2 `--output=json`
 * (`{"columns": [...], "rows": [[...]]}` on one line).
 */

/** One JSON row: its own keys, `__children` left out. */
export type JsonRow = Readonly<Record<string, unknown>>

/** Receives rows. `line` is where the row's object starts; rows of a one-line document share it. */
export type JsonRowSink = (row: JsonRow, line: number) => void

type RowFrame = {kind: 'row'; line: number; obj: Record<string, unknown>; done: boolean}
type Frame = {kind: 'array'} | {kind: 'value'} | RowFrame

/** What a line was to the reader. */
export type JsonLineKind = 'structure' | 'row-start' | 'rows' | 'bad' | 'not-json'

/** Streaming reader of one indented JSON document; feed trimmed lines until `open` turns false. */
export class JsonTableReader {
  private readonly stack: Frame[] = []

  constructor(private readonly emit: JsonRowSink) {}

  /** True while inside a document. */
  get open(): boolean {
    return this.stack.length > 0
  }

  /**
   * Feeds one trimmed line. `row-start` lines are accounted for when their row is emitted (the caller
   * learns through `emit`) — or, for rows that never close, by {@link abandon}.
   */
  line(t: string, no: number): JsonLineKind {
    const top = this.stack.at(-1)
    if (t === '[') {
      if (top && top.kind !== 'array') return 'bad'
      this.stack.push({kind: 'array'})
      return 'structure'
    }
    if (t === '{') {
      const row = top === undefined || top.kind === 'array'
      this.stack.push(row ? {kind: 'row', line: no, obj: {}, done: false} : {kind: 'value'})
      return row ? 'row-start' : 'structure'
    }
    if (!top) return 'not-json'
    const close = t.endsWith(',') ? t.slice(0, -1) : t
    if (close === ']') return this.pop('array') ? 'structure' : 'bad'
    if (close === '}') {
      const f = this.stack.at(-1)
      if (!f || f.kind === 'array') return 'bad'
      this.stack.pop()
      if (f.kind === 'row' && !f.done) this.emit(f.obj, f.line)
      return 'structure'
    }
    if (top.kind === 'array') {
      // A compact row inside an indented array (`{"PID": 4, ...},`).
      const v = parse(close)
      if (!isObject(v)) return 'bad'
      emitTree(v, no, this.emit)
      return 'rows'
    }
    return this.member(close, top)
  }

  /** The open rows' start lines, outermost first, then the reader is reset (input ended mid-document). */
  abandon(): number[] {
    const lines: number[] = []
    for (const f of this.stack) if (f.kind === 'row' && !f.done) lines.push(f.line)
    this.stack.length = 0
    return lines
  }

  /** `"Key": value` inside an object; `"__children": [` emits the row (its columns sort before it). */
  private member(t: string, top: Frame): JsonLineKind {
    if (t.charCodeAt(0) !== 34) return 'bad'
    const opens = t.endsWith('[') ? '[' : t.endsWith('{') ? '{' : null
    const text = opens ? `${t.slice(0, -1)}null` : t
    const kv = parse(`{${text}}`)
    if (!isObject(kv)) return 'bad'
    const key = Object.keys(kv)[0]
    if (key === undefined) return 'bad'
    if (top.kind === 'row') {
      if (key === '__children') {
        if (!top.done) this.emit(top.obj, top.line)
        top.done = true
        const children = kv[key]
        if (Array.isArray(children)) for (const c of children) if (isObject(c)) emitTree(c, top.line, this.emit)
      } else if (!top.done) {
        top.obj[key] = kv[key]
      }
    }
    if (opens) this.stack.push(opens === '[' ? {kind: 'array'} : {kind: 'value'})
    return 'structure'
  }

  private pop(kind: Frame['kind']): boolean {
    if (this.stack.at(-1)?.kind !== kind) return false
    this.stack.pop()
    return true
  }
}

/**
 * Parses a line that holds a whole JSON document or row (`-r jsonl`, compact JSON, Volatility 2
 * `--output=json`) and emits its rows. Returns the number of rows, or -1 when the line is no JSON.
 */
export function emitJsonLine(t: string, no: number, emit: JsonRowSink): number {
  const v = parse(t.endsWith(',') ? t.slice(0, -1) : t)
  let count = 0
  const counting: JsonRowSink = (row, line) => {
    count++
    emit(row, line)
  }
  if (Array.isArray(v)) {
    for (const item of v) if (isObject(item)) emitTree(item, no, counting)
    return count
  }
  if (!isObject(v)) return -1
  if (Array.isArray(v.columns) && Array.isArray(v.rows)) {
    const columns = v.columns.map(String)
    for (const r of v.rows) {
      if (!Array.isArray(r)) continue
      const row: Record<string, unknown> = {}
      columns.forEach((c, i) => (row[c] = r[i]))
      counting(row, no)
    }
    return count
  }
  emitTree(v, no, counting)
  return count
}

function emitTree(obj: Record<string, unknown>, line: number, emit: JsonRowSink): void {
  const {__children: children, ...own} = obj
  emit(own, line)
  if (Array.isArray(children)) for (const c of children) if (isObject(c)) emitTree(c, line, emit)
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

/** The keys of the JSON object rows that a sample shows (`"LocalAddr": ...`), for detection. */
export function sampleJsonKeys(sample: string): string[] {
  const keys = new Set<string>()
  for (const m of sample.slice(0, 16384).matchAll(/"([A-Za-z_][\w ()./-]{0,40})"\s*:/g)) keys.add(m[1]!)
  const cols = /"columns"\s*:\s*\[([^\]]*)\]/.exec(sample.slice(0, 16384))
  if (cols) for (const m of cols[1]!.matchAll(/"([^"]{1,40})"/g)) keys.add(m[1]!)
  return [...keys]
}
