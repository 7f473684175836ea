import {closeSync, openSync, readSync, rmSync, writeSync} from 'node:fs'
import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {onExit} from '../output.js'
import type {ConnectionRecord} from '../model/records.js'
import type {Attribution} from '../model/snapshot-aggregator.js'
import type {ExportConnection} from './export.js'

type At = {path: string; snapshot: number}

/**
 * Every connection row of a run, spooled to a temporary file as it is read (one JSON array per line)
 * so that `export --connections` holds no rows in memory, then read back in order, once per pass.
 * The spool is removed on every exit path: `dispose`, or the exit hook when the process ends first
 * (a second Ctrl-C or SIGTERM, an error).
 */
export class ConnectionSpool {
  private readonly dir = mkdtempSync(join(tmpdir(), 'portleak-spool-'))
  private readonly file = join(this.dir, 'connections.jsonl')
  private readonly fd = openSync(this.file, 'w+')
  private readonly unregister = onExit(() => this.dispose())
  private closed = false
  private pending: string[] = []
  private pendingBytes = 0
  /** Bytes in the file and in `pending`: where the next line starts. */
  private end = 0
  /** With `indexed`: byte ranges of each input snapshot's rows and attributions (`path NUL snapshot`), for `at`. */
  private readonly index: Map<string, number[]> | null
  private lastKey = ''
  count = 0

  /** `indexed`: remember where each snapshot's rows lie, so that `at` reads one snapshot back (the timeline). */
  constructor(options: {indexed?: boolean} = {}) {
    this.index = options.indexed ? new Map() : null
  }

  add(c: ConnectionRecord, at: At): void {
    if (this.index) this.lastKey = `${at.path}\u0000${at.snapshot}`
    this.write(JSON.stringify([at.path, at.snapshot, c.line, c.proto, c.localAddr, c.localPort, c.remoteAddr, c.remotePort, c.state, c.pid, c.process, c.created]))
    this.count++
  }

  /** How a TIME_WAIT row of the snapshot just read (by line) was attributed: spooled after its rows. */
  attribute(line: number, pid: number, name: string | null, how: Attribution): void {
    this.write(JSON.stringify(['@', line, pid, name, how]))
  }

  private write(line: string): void {
    const bytes = Buffer.byteLength(line) + 1
    if (this.index) {
      // a snapshot's rows (then its attributions) arrive together: one range per snapshot unless inputs are read interleaved
      const ranges = this.index.get(this.lastKey)
      if (ranges && ranges[ranges.length - 1] === this.end) ranges[ranges.length - 1]! += bytes
      else if (ranges) ranges.push(this.end, this.end + bytes)
      else this.index.set(this.lastKey, [this.end, this.end + bytes])
    }
    this.end += bytes
    this.pending.push(line)
    this.pendingBytes += line.length
    if (this.pendingBytes > 1 << 20) this.flush()
  }

  private flush(): void {
    if (this.pending.length === 0) return
    writeSync(this.fd, `${this.pending.join('\n')}\n`)
    this.pending = []
    this.pendingBytes = 0
  }

  /**
   * Ends writing; returns the rows with the timeline position of their snapshot (-1 when not on the
   * timeline) and their attribution. Rows wait for their snapshot's attributions: one snapshot in memory.
   */
  rows(position: (path: string, snapshot: number) => number): Iterable<ExportConnection> {
    this.flush()
    this.close()
    const file = this.file
    return {
      *[Symbol.iterator]() {
        const fd = openSync(file, 'r')
        const buf = Buffer.alloc(1 << 20)
        let carry = ''
        let held: ExportConnection[] = []
        let heldKey = ''
        let byLine: Map<number, ExportConnection> | null = null
        const take = (l: string): ExportConnection[] => {
          const a = JSON.parse(l) as Spooled | Attributed
          if (isAttributed(a)) {
            byLine ??= new Map(held.map((r) => [r.line, r]))
            attribute(byLine, a)
            return []
          }
          const row = toRow(a as Spooled, position)
          const key = `${row.path}\u0000${row.snapshot}`
          const out = key === heldKey ? [] : held
          if (key !== heldKey) (held = []), (heldKey = key), (byLine = null)
          held.push(row)
          return out
        }
        try {
          for (let n = readSync(fd, buf); n > 0; n = readSync(fd, buf)) {
            const text = carry + buf.toString('utf8', 0, n)
            const lines = text.split('\n')
            carry = lines.pop()!
            for (const l of lines) if (l) yield* take(l)
          }
          if (carry) yield* take(carry)
          yield* held
        } finally {
          closeSync(fd)
        }
      },
    }
  }

  /**
   * The rows of one snapshot of one input (its index within the input), read back from the file with their
   * attributions: memory holds one snapshot's rows at a time. Needs `indexed`; `snapshot` of each row is that input index.
   */
  at(path: string, snapshot: number): ExportConnection[] {
    const ranges = this.index?.get(`${path}\u0000${snapshot}`)
    if (!ranges || this.closed) return []
    this.flush()
    const out: ExportConnection[] = []
    const attributions: Attributed[] = []
    for (let k = 0; k < ranges.length; k += 2) {
      const buf = Buffer.alloc(ranges[k + 1]! - ranges[k]!)
      readSync(this.fd, buf, 0, buf.length, ranges[k]!)
      for (const l of buf.toString('utf8').split('\n')) {
        if (!l) continue
        const a = JSON.parse(l) as Spooled | Attributed
        if (isAttributed(a)) attributions.push(a)
        else out.push(toRow(a, (_, i) => i))
      }
    }
    if (attributions.length > 0) {
      const byLine = new Map(out.map((r) => [r.line, r]))
      for (const a of attributions) attribute(byLine, a)
    }
    return out
  }

  private close(): void {
    if (this.closed) return
    this.closed = true
    closeSync(this.fd)
  }

  dispose(): void {
    this.close()
    rmSync(this.dir, {recursive: true, force: true})
    this.unregister()
  }
}

type Attributed = ['@', number, number, string | null, Attribution]
type Spooled = [string, number, number, 'TCP' | 'UDP', string, number, string, number, ConnectionRecord['state'], number, string | null, number | null]

const isAttributed = (a: Spooled | Attributed): a is Attributed => a[0] === '@' && a.length === 5

function attribute(byLine: Map<number, ExportConnection>, a: Attributed): void {
  const r = byLine.get(a[1])
  if (r) Object.assign(r, {attributedPid: a[2] < 0 ? null : a[2], attributedProcess: a[3], attribution: a[4]})
}

function toRow(a: Spooled, position: (path: string, snapshot: number) => number): ExportConnection {
  const [path, snap, line, proto, localAddr, localPort, remoteAddr, remotePort, state, pid, process, created] = a
  return {path, snapshot: position(path, snap), line, proto, localAddr, localPort, remoteAddr, remotePort, state, pid, process, created}
}
