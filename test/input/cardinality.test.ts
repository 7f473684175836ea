import {spawnSync} from 'node:child_process'
import {mkdtempSync, readFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import v8 from 'node:v8'
import {runInNewContext} from 'node:vm'

import {afterEach, describe, expect, it} from 'vitest'

import {planSplit} from '../../src/input/parallel.js'
import {SnapshotAggregator} from '../../src/model/snapshot-aggregator.js'
import {ByteStrings} from '../../src/formats/shared/byte-strings.js'
import {runAnalysis} from '../../src/pipeline.js'
import {cliBin, cliThreads, tempFiles} from '../helpers/run.js'

const cli = cliThreads
const ROOT_DIR = new URL('../../', import.meta.url).pathname

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat']
const two = (n: number) => String(n).padStart(2, '0')
const col = (s: string, w: number) => s + ' '.repeat(Math.max(1, w - s.length))

/** A `%date% %time%` stamp as cmd writes it on an en-US machine. */
function stamp(t: number): string {
  const d = new Date(t)
  return `${DAYS[d.getUTCDay()]} ${two(d.getUTCMonth() + 1)}/${two(d.getUTCDate())}/${d.getUTCFullYear()} ${String(d.getUTCHours()).padStart(2, ' ')}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}.${two((d.getUTCMilliseconds() / 10) | 0)}`
}

const tcp = (local: string, remote: string, state: string, pid: number) => `  TCP    ${col(local, 23)}${col(remote, 23)}${col(state, 16)}${pid}`
const v6 = (a: string, port: number) => `[${a}]:${port}`

/** A `netstat -anoq` loop: `rows(s)` gives snapshot s's rows; CRLF, stamps every `interval` seconds. */
function loop(snapshots: number, interval: number, rows: (s: number) => string[]): string {
  const start = Date.UTC(2024, 2, 4, 0, 0, 0)
  const out: string[] = []
  for (let s = 0; s < snapshots; s++) {
    out.push(stamp(start + s * interval * 1000), '', 'Active Connections', '', '  Proto  Local Address          Foreign Address        State           PID')
    out.push(...rows(s))
  }
  return `${out.join('\r\n')}\r\n`
}

/** The n-th fresh peer address: IPv4 for even n, IPv6 for odd. */
const peer = (n: number) => (n % 2 === 0 ? `${64 + ((n >>> 16) & 63)}.${(n >>> 8) & 255}.${n & 255}.${(n * 7) & 255}:${1024 + (n % 60000)}` : v6(`2001:db8:${(n >>> 16).toString(16)}::${(n & 0xffff).toString(16)}`, 443))

/**
 * A busy server: steady connections, one leaking process, and TIME_WAIT rows that mostly go to a fresh
 * peer each (rows owned by the client a snapshot before, then PID 0), loopback peers among them.
 */
function busyLoop(snapshots: number, perSnapshot: number, steady = 40): string {
  let n = 0
  return loop(snapshots, 60, (s) => {
    const rows: string[] = []
    for (let i = 0; i < 20 + s * 6; i++) rows.push(tcp(`0.0.0.0:${52000 + i}`, '0.0.0.0:0', 'BOUND', 5120))
    for (let i = 0; i < 5; i++) rows.push(tcp(`127.0.0.1:${53000 + i}`, `127.0.0.1:${54000 + i}`, 'ESTABLISHED', 700))
    const local = (k: number) => (k % 2 === 0 ? `10.1.0.5:${49152 + (k % 9000)}` : v6('fe80::5%12', 49152 + (k % 9000)))
    for (let i = 0; i < perSnapshot; i++) {
      const k = n++
      rows.push(tcp(local(k), peer(k), 'TIME_WAIT', 0))
      // Half the next snapshot's TIME_WAIT rows are ESTABLISHED now (lineage gives them an owner); the rest fresh.
      if (k % 4 < 2) rows.push(tcp(local(k + perSnapshot), peer(k + perSnapshot), 'ESTABLISHED', 3020))
    }
    // Steady connections after the fresh peers, to backends that change every ten snapshots (so live ids
    // are renumbered when the ones before them are given back).
    for (let i = 0; i < steady; i++) rows.push(tcp(`10.1.${i % 3}.5:${50000 + i}`, `10.9.${(s / 10) | 0}.${i % 5}:1433`, 'ESTABLISHED', 2480))
    return rows
  })
}

describe('a busy server loop: memory bounded by a snapshot', () => {
  const defaults = {address: SnapshotAggregator.addressCompactMin, tables: SnapshotAggregator.tableCapacity, strings: ByteStrings.maxEntries}
  afterEach(() => {
    SnapshotAggregator.addressCompactMin = defaults.address
    SnapshotAggregator.tableCapacity = defaults.tables
    ByteStrings.maxEntries = defaults.strings
  })

  /** Every snapshot's summary, endpoints as labels (ids differ between runs by design). */
  async function summaries(file: string): Promise<string> {
    const {CaseBuilder} = await import('../../src/model/case-builder.js')
    const {ingest} = await import('../../src/input/ingest.js')
    const c = new CaseBuilder(null)
    await ingest([file], {}, ({path, format}) => c.sinkFor(path, format))
    return JSON.stringify(
      c.snapshots.map(({summary: id}) => {
        const s = c.summaries.read(id)
        const remotes: string[] = []
        for (let i = 0; i < s.remotes.length; i += 3) remotes.push(`${c.agg.endpoints.label(s.remotes[i]!)}=${s.remotes[i + 1]}/${s.remotes[i + 2]}`)
        return {rows: s.rows, counts: [...s.counts], ephemeral: [...s.ephemeral], at: s.ephemeralAddr, remotes, tw: s.timeWait}
      }),
    )
  }

  it.each([
    ['mostly fresh peers (the row memo turns itself off)', 400, 40],
    ['mostly repeated rows (the row memo stays on)', 100, 600],
  ])('gives the same summaries however often ids are given back and renumbered: %s', async (_, fresh, steady) => {
    const [file] = tempFiles({'netstat.txt': busyLoop(30, fresh, steady)})
    const plain = await summaries(file!)
    const doc = JSON.stringify((await runAnalysis([file!], {})).document)
    SnapshotAggregator.addressCompactMin = 64
    SnapshotAggregator.tableCapacity = 64
    expect(await summaries(file!)).toBe(plain)
    const compacted = await runAnalysis([file!], {})
    expect(JSON.stringify(compacted.document)).toBe(doc)
    // The row reader's cache of strings also starts afresh when full.
    ByteStrings.maxEntries = 100
    expect(await summaries(file!)).toBe(plain)
    // The loop has TIME_WAIT lineage and a leak to find, so the equality says something.
    expect(compacted.document.attribution.timeWait.lineage).toBeGreaterThan(500)
    expect(compacted.document.findings.length).toBeGreaterThan(0)
  })

  it('keeps its tables the size of a snapshot however long the loop runs', async () => {
    const sizes = async (snapshots: number) => {
      const {CaseBuilder} = await import('../../src/model/case-builder.js')
      const c = new CaseBuilder(null)
      const [file] = tempFiles({'netstat.txt': busyLoop(snapshots, 1500)})
      const {ingest} = await import('../../src/input/ingest.js')
      await ingest([file!], {}, ({path, format}) => c.sinkFor(path, format))
      return c.agg.footprint()
    }
    const short = await sizes(30)
    const long = await sizes(120)
    // 120 snapshots meet about 180,000 distinct peers; what is kept stays within a few snapshots' worth.
    for (const k of ['addresses', 'remotes', 'tuples'] as const) expect(long[k], k).toBeLessThan(4 * 65_536)
    expect(long.addresses).toBeLessThan(short.addresses * 2 + 65_536)
    // Labels are made only for endpoints a summary names (the steady backends), not for the fresh peers.
    expect(long.endpoints).toBeLessThan(200)
  })

  it('keeps each snapshot in a few hundred bytes, not in objects per array', async () => {
    v8.setFlagsFromString('--expose-gc')
    const gc = runInNewContext('gc') as () => void
    const steady = (s: number) => [
      ...Array.from({length: 6}, (_, i) => tcp(`0.0.0.0:${[135, 445, 1433, 3389, 5985, 47001][i]}`, '0.0.0.0:0', 'LISTENING', 1000 + 4 * i)),
      ...Array.from({length: 36}, (_, i) => tcp(`10.0.0.5:${50000 + i}`, `10.0.1.${20 + (i % 9)}:1433`, 'ESTABLISHED', 2480 + 4 * (i % 3))),
      tcp(`10.0.0.5:${51000 + (s % 500)}`, '10.0.3.10:443', 'TIME_WAIT', 0),
    ]
    // The heap after a full collection, with a case of `snapshots` read and still held; what its summary store holds.
    const held = async (snapshots: number) => {
      const {CaseBuilder} = await import('../../src/model/case-builder.js')
      const {ingest} = await import('../../src/input/ingest.js')
      const [file] = tempFiles({'netstat.txt': loop(snapshots, 60, steady)})
      gc()
      const before = process.memoryUsage()
      const c = new CaseBuilder(null)
      await ingest([file!], {}, ({path, format}) => c.sinkFor(path, format))
      c.doneReading()
      gc()
      const after = process.memoryUsage()
      expect(c.snapshots).toHaveLength(snapshots)
      // (Array buffers are not counted from the process: V8 frees them on another thread, after the collection.)
      return {heap: after.heapUsed - before.heapUsed, arrays: c.summaries.footprint()}
    }
    const short = await held(500)
    const long = await held(4500)
    // A snapshot's own object and stamp: about 100 bytes of heap (40–120 measured). Kept as objects (four typed
    // arrays, a list, the tallies), a summary took 1.3 KB of heap more. Its record, counters, nine endpoints and
    // six listeners: about 340 bytes of arrays.
    expect((long.heap - short.heap) / 4000).toBeLessThan(600)
    expect((long.arrays - short.arrays) / 4000).toBeLessThan(800)
  })

  it('keeps per-process counters for the processes of a snapshot, not for every process the loop names', async () => {
    // 200 new PIDs a snapshot, each with one connection, and a TIME_WAIT row after it exits.
    const text = (snapshots: number) =>
      loop(snapshots, 10, (s) => {
        const rows: string[] = []
        for (let i = 0; i < 200; i++) {
          const port = 49152 + ((s * 200 + i) % 16000)
          rows.push(tcp(`10.1.0.5:${port}`, '10.2.0.8:443', 'ESTABLISHED', 20_000 + 4 * (s * 200 + i)))
          if (s > 0) rows.push(tcp(`10.1.0.5:${49152 + (((s - 1) * 200 + i) % 16000)}`, '10.2.0.8:443', 'TIME_WAIT', 0))
        }
        return rows
      })
    const {CaseBuilder} = await import('../../src/model/case-builder.js')
    const {ingest} = await import('../../src/input/ingest.js')
    const footprint = async (snapshots: number) => {
      const c = new CaseBuilder(null)
      const [file] = tempFiles({'netstat.txt': text(snapshots)})
      await ingest([file!], {}, ({path, format}) => c.sinkFor(path, format))
      return c.agg.footprint()
    }
    const short = await footprint(40)
    const long = await footprint(400)
    expect(long.slots).toBeGreaterThan(80_000)
    // Counters are kept per process of the snapshot; per process named only its number here and its PID's slot
    // (about 150 bytes per process before: 8 MB → 64 MB of kernel memory from 8,000 to 80,000 processes).
    expect(long.kernelBytes).toBeLessThanOrEqual(2 * short.kernelBytes)
  })

  it('reuses the blocks its tables grew out of, and keeps a fresh peer in under 130 bytes', async () => {
    // One snapshot of 100,000 rows to fresh peers, half of them TIME_WAIT: the remote-endpoint table grows from
    // 16,384 ids, a page at a time, and its index doubles.
    const text = loop(1, 60, () => Array.from({length: 100_000}, (_, i) => tcp(`10.1.${(i >> 14) & 3}.5:${49152 + (i % 16000)}`, peer(2 * i), i % 2 ? 'TIME_WAIT' : 'ESTABLISHED', i % 2 ? 0 : 3000 + (i % 7))))
    const {CaseBuilder} = await import('../../src/model/case-builder.js')
    const {ingest} = await import('../../src/input/ingest.js')
    const c = new CaseBuilder(null)
    const base = c.agg.footprint()
    const [file] = tempFiles({'netstat.txt': text})
    await ingest([file!], {}, ({path, format}) => c.sinkFor(path, format))
    const f = c.agg.footprint()
    expect(f.remotes).toBeGreaterThan(90_000)
    // A heap that never reuses a block reaches as high as it hands out (the bump heap alone: 1.00); reusing
    // them, 0.69–0.81 from 50,000 to 300,000 rows.
    expect((f.kernelTop - base.kernelTop) / (f.kernelHanded - base.kernelHanded)).toBeLessThan(0.9)
    // Per row, everything the kernel's memory holds included (the rows' bytes, the TIME_WAIT rows' list): 92
    // bytes with one paged record per endpoint and its first tuple; 181 with an endpoint table and a tuple
    // table, each three arrays grown by doubling and copying.
    expect((f.kernelTop - base.kernelTop) / 100_000).toBeLessThan(130)
  })

  it('renumbers IPv6 ids once the table holds twice those of the last two snapshots', async () => {
    // Fresh IPv6 peers only: every id is new, and what the last two snapshots used is what is kept.
    const fresh = 300
    let n = 0
    const text = (snapshots: number) =>
      loop(snapshots, 60, () => Array.from({length: fresh}, () => tcp(v6('2001:db8::5', 443), v6(`2001:db8:1::${(n++).toString(16)}`, 50000), 'TIME_WAIT', 0)))
    SnapshotAggregator.addressCompactMin = 64
    const {CaseBuilder} = await import('../../src/model/case-builder.js')
    const {ingest} = await import('../../src/input/ingest.js')
    let most = 0
    for (let snapshots = 1; snapshots <= 12; snapshots++) {
      n = 0
      const c = new CaseBuilder(null)
      const [file] = tempFiles({'netstat.txt': text(snapshots)})
      await ingest([file!], {}, ({path, format}) => c.sinkFor(path, format))
      most = Math.max(most, c.agg.footprint().addresses)
    }
    // Kept: two snapshots' worth (2 × fresh); renumbered past twice that, so at most one snapshot more.
    expect(most).toBeGreaterThan(4 * fresh)
    expect(most).toBeLessThanOrEqual(5 * fresh + 2)
  })

  it('leaves a loop to one thread when a worker runs out of heap, with the same results', () => {
    const [file] = tempFiles({'netstat.txt': busyLoop(40, 600)})
    const env = {...process.env, PORTLEAK_PARALLEL_MIN: '1000', PORTLEAK_WORKER_HEAP_MB: '1'}
    const r = spawnSync('node', [cliBin(), 'analyze', '--json', file!], {cwd: ROOT_DIR, env, encoding: 'utf8', timeout: 240_000})
    expect(r.status, r.stderr).toBe(0)
    expect(r.stdout).toBe(cli(['analyze', '--json', file!], 'single'))
  })

  it('reads more than 100,000 distinct IPv4 and IPv6 peers the same with one thread and with workers', () => {
    const [file] = tempFiles({'netstat.txt': busyLoop(40, 2600)})
    const split = cli(['analyze', '--json', file!], 'split')
    expect(split).toBe(cli(['analyze', '--json', file!], 'single'))
    expect(JSON.parse(split).inputs[0].records).toBeGreaterThan(100_000)
  })

  it('reads 20,000 local addresses the same with one thread and with workers', () => {
    const text = loop(16, 60, (s) => {
      const rows: string[] = []
      for (let i = 0; i < 20_000; i++) rows.push(tcp(`10.${(i >> 8) & 255}.${i & 255}.${1 + (i % 200)}:${49152 + ((i + s) % 16000)}`, `10.99.0.1:443`, 'ESTABLISHED', 1000 + (i % 50)))
      return rows
    })
    const [file] = tempFiles({'netstat.txt': text})
    const split = cli(['analyze', '--json', file!], 'split')
    expect(split).toBe(cli(['analyze', '--json', file!], 'single'))
  })

  it('reads a day of 10-second snapshots with a new short-lived process in each', () => {
    const text = loop(8640, 10, (s) => [
      tcp('10.1.0.5:445', '10.2.0.9:50123', 'ESTABLISHED', 4),
      tcp(`10.1.0.5:${49152 + (s % 16000)}`, '10.2.0.8:443', 'ESTABLISHED', 20_000 + s),
      tcp(`10.1.0.5:${49152 + ((s + 7) % 16000)}`, '10.2.0.8:443', 'SYN_SENT', 20_000 + s),
    ])
    const [file] = tempFiles({'netstat.txt': text})
    const split = cli(['analyze', '--json', file!], 'split')
    expect(split).toBe(cli(['analyze', '--json', file!], 'single'))
    expect(JSON.parse(split).snapshots).toBe(8640)
  })

  it('folds the shortest-lived processes past the series budget, ties broken by the PID and name as text', async () => {
    // 33,000 snapshots: the budget keeps 64 identities. System all along; PID 5000 in two snapshots (longer
    // life); PID 6000 in one with two rows (more rows); 200 processes in one snapshot with one row each, all
    // tied, PIDs 900–1099, whose keys as text put "1000|" before "900|".
    const text = loop(33_000, 10, (s) => {
      const rows = [tcp('10.1.0.5:445', '10.2.0.9:50123', 'ESTABLISHED', 4)]
      if (s < 200) rows.push(tcp(`10.1.0.5:${50_000 + s}`, '10.2.0.8:443', 'ESTABLISHED', 900 + s))
      if (s === 300 || s === 301) rows.push(tcp('10.1.0.5:51000', '10.2.0.7:443', 'ESTABLISHED', 5000))
      if (s === 400) rows.push(tcp('10.1.0.5:51001', '10.2.0.7:443', 'ESTABLISHED', 6000), tcp('10.1.0.5:51002', '10.2.0.7:443', 'ESTABLISHED', 6000))
      return rows
    })
    const {CaseBuilder} = await import('../../src/model/case-builder.js')
    const {ingest} = await import('../../src/input/ingest.js')
    const {buildTimeline} = await import('../../src/model/timeline.js')
    const {DEFAULT_RANGE} = await import('../../src/model/port-ranges.js')
    const c = new CaseBuilder(null)
    const [file] = tempFiles({'netstat.txt': text})
    await ingest([file!], {}, ({path, format}) => c.sinkFor(path, format))
    const processes = buildTimeline(c, DEFAULT_RANGE, () => true).timeline.processes
    const tied = Array.from({length: 200}, (_, i) => 900 + i)
      .sort((a, b) => (`${a}|` < `${b}|` ? -1 : 1))
      .slice(0, 64 - 3)
    expect(processes.filter((p) => p.pid !== -1).map((p) => p.pid).sort((a, b) => a - b)).toEqual([4, 5000, 6000, ...tied].sort((a, b) => a - b))
    expect(processes.filter((p) => p.pid === -1).map((p) => p.name)).toEqual(['unnamed (short-lived)'])
  })

  it('splits a UTF-16LE loop across workers with the same result as one thread', () => {
    const text = busyLoop(24, 300)
    const bytes = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')])
    const [file] = tempFiles({'netstat-utf16.txt': bytes})
    const plan = planSplit(file!, bytes.length, 2, {dateOrder: undefined, maxLine: 1 << 20, ranges: [], workers: 2, encoding: 'utf-16le'})
    expect(plan).toHaveLength(2)
    expect(plan![1]!.start % 2).toBe(0)
    for (const command of ['inspect', 'analyze']) expect(cli([command, '--json', file!], 'split')).toBe(cli([command, '--json', file!], 'single'))
  })

  it('exports every connection row with workers as with one thread', () => {
    const [file] = tempFiles({'netstat.txt': busyLoop(20, 300)})
    const rows = (threads: 'split' | 'single') => {
      const out = mkdtempSync(join(tmpdir(), 'portleak-export-'))
      cli(['export', file!, '--to', 'csv', '--connections', '-o', out], threads)
      return readFileSync(join(out, 'connections.csv'), 'utf8').trimEnd().split('\n').length - 1
    }
    const single = rows('single')
    expect(single).toBeGreaterThan(5000)
    expect(rows('split')).toBe(single)
  })
})
