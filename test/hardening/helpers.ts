import {mkdirSync, mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {Readable} from 'node:stream'

import type {InputSummary} from '../../src/model/types.js'
import {inspectInputs, type PipelineOptions} from '../../src/pipeline.js'

/** Shared builders for the hardening tests: small netstat captures and stdin streams. */

export const HEADER = '\r\nActive Connections\r\n\r\n  Proto  Local Address          Foreign Address        State           PID\r\n'

/** One `netstat -ano` TCP row, CRLF-terminated. */
export const row = (port: number, state = 'ESTABLISHED', pid = 4312, remote = '10.0.0.9:443') =>
  `  TCP    10.0.0.5:${port}`.padEnd(32) + remote.padEnd(23) + state.padEnd(16) + `${pid}\r\n`

/** A one-snapshot capture with `rows` ESTABLISHED rows from port `first` on. */
export const netstat = (rows: number, first = 50000) => HEADER + Array.from({length: rows}, (_, i) => row(first + i)).join('')

/** One loop iteration as the troubleshooting guide's batch file writes it: `%date% %time% ` then netstat. */
export const snapshot = (stamp: string, rows: number, state = 'ESTABLISHED', pid = 4312) =>
  `${stamp} \r\n${HEADER}${Array.from({length: rows}, (_, i) => row(50000 + i, state, pid)).join('')}`

/** Writes a tree of files (names may contain `/`) into a fresh temp folder; returns the folder. */
export function tempTree(files: Record<string, string | Buffer>): string {
  const dir = mkdtempSync(join(tmpdir(), 'portleak-hardening-'))
  for (const [name, content] of Object.entries(files)) {
    const path = join(dir, name)
    mkdirSync(dirname(path), {recursive: true})
    writeFileSync(path, content)
  }
  return dir
}

/** Reads bytes through the real input layer as stdin, cut into the given pieces; returns the one summary. */
export async function inspectPieces(pieces: readonly Buffer[], o: PipelineOptions = {}): Promise<InputSummary> {
  const doc = await inspectInputs(['-'], {...o, stdin: () => Readable.from(pieces)})
  if (doc.inputs.length !== 1) throw new Error(`expected one input, got ${doc.inputs.length}`)
  return doc.inputs[0]!
}

/** Cuts bytes at the given offsets (any order, duplicates allowed: empty pieces are kept on purpose). */
export function piecesOf(bytes: Buffer, cuts: readonly number[]): Buffer[] {
  const at = [...cuts].map((c) => Math.min(c, bytes.length)).sort((a, b) => a - b)
  const out: Buffer[] = []
  let prev = 0
  for (const c of at) {
    out.push(bytes.subarray(prev, c))
    prev = c
  }
  out.push(bytes.subarray(prev))
  return out
}

/** A one-line error a user can read: no stack frames, no newline, names what went wrong. */
export const ONE_LINE = /^[^\n]+$/
/** True when the text holds a stack frame line (`    at fn (file.js:1:2)` or `    at file.js:1:2`). */
export const hasStack = (text: string) => /^\s+at (.+ \(.+:\d+:\d+\)|\S+:\d+:\d+)$/m.test(text)
