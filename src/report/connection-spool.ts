import {closeSync, openSync, readSync, rmSync, writeSync} from 'node:fs'
import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {onExit} from '../output.js'
import type {ConnectionRecord} from '../formats/types.js'
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
  private readonly fd = openSync(this.file, 'w')
  private readonly unregister = onExit(() => this.dispose())
  private closed = false
  private pending: string[] = []
  private pendingBytes = 0
  count = 0

  add(c: ConnectionRecord, at: At): void {
    const line = JSON.stringify([at.path, at.snapshot, c.line, c.proto, c.localAddr, c.localPort, c.remoteAddr, c.remotePort, c.state, c.pid, c.process, c.created])
    this.pending.push(line)
    this.pendingBytes += line.length
    this.count++
    if (this.pendingBytes > 1 << 20) this.flush()
  }

  private flush(): void {
    if (this.pending.length === 0) return
    writeSync(this.fd, `${this.pending.join('\n')}\n`)
    this.pending = []
    this.pendingBytes = 0
  }

  /** Ends writing; returns the rows with the timeline position of their snapshot (-1 when not on the timeline). */
  rows(position: (path: string, snapshot: number) => number): Iterable<ExportConnection> {
    this.flush()
    this.close()
    const file = this.file
    return {
      *[Symbol.iterator]() {
        const fd = openSync(file, 'r')
        const buf = Buffer.alloc(1 << 20)
        let carry = ''
        try {
          for (let n = readSync(fd, buf); n > 0; n = readSync(fd, buf)) {
            const text = carry + buf.toString('utf8', 0, n)
            const lines = text.split('\n')
            carry = lines.pop()!
            for (const l of lines) if (l) yield toRow(JSON.parse(l), position)
          }
          if (carry) yield toRow(JSON.parse(carry), position)
        } finally {
          closeSync(fd)
        }
      },
    }
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

type Spooled = [string, number, number, 'TCP' | 'UDP', string, number, string, number, ConnectionRecord['state'], number, string | null, number | null]

function toRow(a: Spooled, position: (path: string, snapshot: number) => number): ExportConnection {
  const [path, snap, line, proto, localAddr, localPort, remoteAddr, remotePort, state, pid, process, created] = a
  return {path, snapshot: position(path, snap), line, proto, localAddr, localPort, remoteAddr, remotePort, state, pid, process, created}
}
