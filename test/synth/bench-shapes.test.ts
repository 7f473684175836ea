import {createHash} from 'node:crypto'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, describe, expect, it} from 'vitest'

import type {InputSummary} from '../../src/model/types.js'
import {inspectInputs} from '../../src/pipeline.js'
import {BENCH_SHAPES, type BenchShape} from '../../src/synth/bench-shapes.js'

const dir = mkdtempSync(join(tmpdir(), 'portleak-shapes-'))
afterAll(() => rmSync(dir, {recursive: true, force: true}))

const shape = (name: string): BenchShape => BENCH_SHAPES.find((s) => s.name === name)!

/** Generates `snapshots` of a shape into one buffer, keeping the size of the largest chunk. */
function generate(name: string, snapshots: number, seed = 7): {bytes: Buffer; largestChunk: number} {
  const chunks: Buffer[] = []
  for (const c of shape(name).generate(snapshots, seed)) chunks.push(Buffer.from(c))
  return {bytes: Buffer.concat(chunks), largestChunk: Math.max(...chunks.map((c) => c.length))}
}

/** What the text holds, counted from its lines (independently of portleak's parser). */
type Counts = {snapshots: number; rows: number; repeated: number; remotes: Set<string>; endpoints: Set<string>; locals: Set<string>; pids: Set<string>; ownerLines: string[]}

function count(text: string, stamp: RegExp): Counts {
  const c: Counts = {snapshots: 0, rows: 0, repeated: 0, remotes: new Set(), endpoints: new Set(), locals: new Set(), pids: new Set(), ownerLines: []}
  let prev = new Set<string>()
  let cur = new Set<string>()
  for (const line of text.split('\r\n')) {
    if (stamp.test(line)) {
      c.snapshots++
      prev = cur
      cur = new Set()
      continue
    }
    const f = line.trim().split(/\s+/)
    if (f[0] === 'TCP' || f[0] === 'UDP') {
      c.rows++
      if (prev.has(line)) c.repeated++
      cur.add(line)
      c.locals.add(f[1]!.slice(0, f[1]!.lastIndexOf(':')))
      c.remotes.add(f[2]!.slice(0, f[2]!.lastIndexOf(':')))
      c.endpoints.add(f[2]!)
      c.pids.add(f.at(-1)!)
    } else if (/^ \[|^ Can not|^  \w+$/.test(line)) c.ownerLines.push(line)
  }
  return c
}

async function inspect(name: string, bytes: Buffer): Promise<InputSummary> {
  const path = join(dir, `${name}.txt`)
  writeFileSync(path, bytes)
  const doc = await inspectInputs([path], {})
  return doc.inputs[0]!
}

const EN_US = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d\d\/\d\d\/\d{4} [ \d]\d:\d\d:\d\d\.\d\d $/
const share = (s: InputSummary, state: string) => (s.byState[state] ?? 0) / s.records

describe('bench shapes: seeded generators of netstat loops', () => {
  it.each(BENCH_SHAPES.map((s) => s.name))('%s: the same seed gives the same bytes, another seed others', (name) => {
    const hash = (seed: number) => createHash('sha256').update(generate(name, 3, seed).bytes).digest('hex')
    expect(hash(7)).toBe(hash(7))
    expect(hash(8)).not.toBe(hash(7))
  })

  it('streams chunks of about a megabyte, not the whole loop', () => {
    const {bytes, largestChunk} = generate('busy', 8)
    expect(bytes.length).toBeGreaterThan(5e6)
    expect(largestChunk).toBeLessThan(2.5e6)
  })

  it('busy: ~11,500 rows per snapshot, ~48 % TIME_WAIT to fresh peers, barely any row repeated', async () => {
    const {bytes} = generate('busy', 6)
    const s = await inspect('busy', bytes)
    const c = count(bytes.toString('latin1'), EN_US)
    expect(s).toMatchObject({format: 'netstat', encoding: 'utf-8', snapshots: 6, skipped: 0, error: null, notes: {view: 'netstat -anoq'}})
    expect(s.records).toBe(c.rows)
    expect(s.records / 6).toBeGreaterThan(10_000)
    expect(s.records / 6).toBeLessThan(13_500)
    expect(share(s, 'TIME_WAIT')).toBeGreaterThan(0.44)
    expect(share(s, 'TIME_WAIT')).toBeLessThan(0.52)
    expect(s.byState.BOUND).toBeGreaterThan(0)
    // Rows repeated from the snapshot before (the first snapshot has none before it).
    expect(c.repeated / (c.rows * (5 / 6))).toBeLessThan(0.03)
    // A fresh remote address on nearly every TIME_WAIT row: about 5,000 new addresses per snapshot.
    expect(c.remotes.size).toBeGreaterThan(0.9 * (s.byState.TIME_WAIT ?? 0))
    expect([...c.remotes].some((a) => a.startsWith('['))).toBe(true)
  })

  it('anob: owner lines under every row but PID 0 ones, read as owners, not skipped', async () => {
    const {bytes} = generate('anob', 3)
    const s = await inspect('anob', bytes)
    const c = count(bytes.toString('latin1'), EN_US)
    expect(s).toMatchObject({format: 'netstat', snapshots: 3, skipped: 0, error: null, notes: {view: 'netstat -anobq'}})
    expect(s.records).toBe(c.rows)
    expect(c.ownerLines).toEqual(expect.arrayContaining([' [w3wp.exe]', ' Can not obtain ownership information', '  RpcSs', ' [svchost.exe]', ' [LeakyAgent.exe]']))
    // netstat -b writes an owner after every row but the PID 0 (TIME_WAIT) ones: a service line, then the image.
    const lines = bytes.toString('latin1').split('\r\n')
    const owned = (i: number) => /^ \[|^ Can not|^  \w+$/.test(lines[i + 1] ?? '')
    const rows = lines.flatMap((l, i) => (/^  (TCP|UDP) /.test(l) ? [{pid: l.trim().split(/\s+/).at(-1), i}] : []))
    expect(rows.filter((r) => r.pid === '0' && owned(r.i))).toEqual([])
    expect(rows.filter((r) => r.pid !== '0' && !owned(r.i))).toEqual([])
    expect(s.byState).toMatchObject({BOUND: expect.any(Number), TIME_WAIT: expect.any(Number), ESTABLISHED: expect.any(Number)})
    // Pools turn over a fifth per snapshot and TIME_WAIT lasts 240 s: most rows repeat.
    expect(c.repeated / c.rows).toBeGreaterThan(0.4)
  })

  it('utf16: German netstat in UTF-16LE with a BOM and dd.mm stamps, every row read', async () => {
    const {bytes} = generate('utf16', 3)
    expect([...bytes.subarray(0, 2)]).toEqual([0xff, 0xfe])
    const text = bytes.toString('utf16le').slice(1)
    expect(text).toMatch(/^05\.03\.2024 {2}7:00:0\d,\d\d \r\n\r\nAktive Verbindungen\r\n/)
    const s = await inspect('utf16', bytes)
    const c = count(text, /^\d\d\.\d\d\.\d{4} /)
    expect(s).toMatchObject({format: 'netstat', encoding: 'utf-16le', snapshots: 3, dateOrder: 'dmy', skipped: 0, error: null})
    expect(s.timeRange?.start).toMatch(/^2024-03-05T07:00/)
    expect(s.records).toBe(c.rows)
    expect(Object.keys(s.byState).sort()).toEqual(['CLOSE_WAIT', 'ESTABLISHED', 'LISTENING', 'TIME_WAIT'])
  })

  it('repeat: the existing bench scenario, most rows repeated from the snapshot before', async () => {
    const {bytes} = generate('repeat', 4)
    const s = await inspect('repeat', bytes)
    const c = count(bytes.toString('latin1'), EN_US)
    expect(s).toMatchObject({format: 'netstat', snapshots: 4, skipped: 0, error: null})
    expect(s.records).toBe(c.rows)
    expect(c.repeated / (c.rows * (3 / 4))).toBeGreaterThan(0.7)
  })

  it('local-addresses: 20,000 distinct local IPv4 addresses', async () => {
    const {bytes} = generate('local-addresses', shape('local-addresses').snapshots)
    const s = await inspect('local-addresses', bytes)
    const c = count(bytes.toString('latin1'), EN_US)
    expect(s).toMatchObject({format: 'netstat', snapshots: 20, skipped: 0, error: null})
    expect(s.records).toBe(c.rows)
    expect([...c.locals].filter((a) => a.startsWith('10.20.'))).toHaveLength(20_000)
  })

  it('short-lived: a new process or two every 10-second snapshot', async () => {
    const {bytes} = generate('short-lived', 90)
    const s = await inspect('short-lived', bytes)
    const c = count(bytes.toString('latin1'), EN_US)
    expect(s).toMatchObject({format: 'netstat', snapshots: 90, skipped: 0, error: null})
    expect(s.records).toBe(c.rows)
    const seconds = (Date.parse(`${s.timeRange!.end}Z`) - Date.parse(`${s.timeRange!.start}Z`)) / 1000
    expect(seconds).toBeGreaterThan(880)
    expect(seconds).toBeLessThan(900)
    // Besides the PID 0 TIME_WAIT rows and a handful of steady processes.
    expect(c.pids.size).toBeGreaterThan(90)
    expect(c.pids.size).toBeLessThan(2 * 90 + 10)
  })

  it('churn: about 50 new processes every snapshot, their TIME_WAIT rows lingering as PID 0 rows', async () => {
    const {bytes} = generate('churn', 40)
    const s = await inspect('churn', bytes)
    const c = count(bytes.toString('latin1'), EN_US)
    expect(s).toMatchObject({format: 'netstat', snapshots: 40, skipped: 0, error: null})
    expect(s.records).toBe(c.rows)
    expect(c.pids.size).toBeGreaterThan(40 * 40)
    expect(c.pids.size).toBeLessThan(40 * 60 + 10)
    // Four minutes of 10-second snapshots in, the TIME_WAIT rows of the exited ones are most rows.
    expect(share(s, 'TIME_WAIT')).toBeGreaterThan(0.5)
  })

  it('endpoints: over 100,000 distinct remote addresses and endpoints, IPv4 and IPv6', async () => {
    const {bytes} = generate('endpoints', shape('endpoints').snapshots)
    const s = await inspect('endpoints', bytes)
    const c = count(bytes.toString('latin1'), EN_US)
    expect(s).toMatchObject({format: 'netstat', snapshots: 40, skipped: 0, error: null})
    expect(s.records).toBe(c.rows)
    const v6 = [...c.remotes].filter((a) => a.startsWith('['))
    expect(c.remotes.size).toBeGreaterThan(100_000)
    expect(c.endpoints.size).toBeGreaterThan(100_000)
    expect(v6.length).toBeGreaterThan(40_000)
    expect(c.remotes.size - v6.length).toBeGreaterThan(40_000)
  }, 60_000)
})
