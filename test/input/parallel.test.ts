import {createHash} from 'node:crypto'
import {closeSync, openSync, truncateSync, writeSync} from 'node:fs'

import {describe, expect, it} from 'vitest'

import {parseStamp} from '../../src/formats/shared/timestamps.js'
import {PLAN_AFTER, PLAN_PIECE, PLAN_WINDOWS, planSplit} from '../../src/input/parallel.js'
import {generateLoop, stampLine} from '../../src/synth/loop.js'
import {cliThreads, loopText, tempFiles} from '../helpers/run.js'
import {SCENARIOS} from '../helpers/scenarios.js'

const cli = cliThreads

describe('a large loop read by worker threads', () => {
  it('gives byte-identical inspect and analyze output to one thread, TIME_WAIT attribution included', () => {
    const text = loopText({
      seed: 31,
      snapshots: 90,
      interval: 60,
      jitter: 2,
      start: new Date(Date.UTC(2024, 4, 2, 23, 30, 0)),
      dateStyle: 'en-GB',
      owners: true,
      bound: true,
      processes: [
        {pid: 1712, name: 'svchost.exe', listen: [135], behaviour: {kind: 'steady', established: 30, noise: 10, timeWaitChurn: 8}},
        {pid: 2200, name: 'backup.exe', behaviour: {kind: 'timewait-leak', perMinute: 12, growthPerHour: 40, remote: '10.0.0.60:443'}},
        {pid: 2300, name: 'poller.exe', behaviour: {kind: 'timewait-leak', perMinute: 6, growthPerHour: 20, remote: '10.0.0.61:8080', unseen: true}},
        {pid: 4312, name: 'LeakyAgent.exe', behaviour: {kind: 'leak', state: 'BOUND', perHour: 400}},
      ],
      background: 5,
    })
    const [file] = tempFiles({'netstat.txt': text})
    // The file is really split: two ranges, the second primed with at least 330 s of snapshots before it.
    const plan = planSplit(file!, Buffer.byteLength(text), 0, {dateOrder: undefined, maxLine: 1 << 20, ranges: [], workers: 2})
    expect(plan).toHaveLength(2)
    expect(plan![1]!.primeStart).toBeLessThan(plan![1]!.start)
    expect(plan![1]!.start - plan![1]!.primeStart).toBeGreaterThan(5 * (plan![1]!.end - plan![1]!.start) / 45)
    // The planner first looks back a short way, then further: the same plan when the short look is too short.
    const windows = [...PLAN_WINDOWS]
    try {
      PLAN_WINDOWS.splice(0, PLAN_WINDOWS.length, 20_000)
      expect(planSplit(file!, Buffer.byteLength(text), 0, {dateOrder: undefined, maxLine: 1 << 20, ranges: [], workers: 2})).toBeNull()
      PLAN_WINDOWS.push(32 << 20)
      expect(planSplit(file!, Buffer.byteLength(text), 0, {dateOrder: undefined, maxLine: 1 << 20, ranges: [], workers: 2})).toEqual(plan)
    } finally {
      PLAN_WINDOWS.splice(0, PLAN_WINDOWS.length, ...windows)
    }
    for (const command of ['analyze', 'inspect']) {
      const split = cli([command, '--json', file!], 'split')
      const single = cli([command, '--json', file!], 'single')
      expect(split).toBe(single)
    }
    const doc = JSON.parse(cli(['analyze', '--json', file!], 'split'))
    expect(doc.attribution.timeWait.lineage).toBeGreaterThan(1000)
    expect(doc.findings[0].process).toBe('LeakyAgent.exe')
  })

  it('plans the same cuts reading the file in small pieces, UTF-8 and UTF-16LE, lines across their ends', () => {
    const text = loopText({
      seed: 5,
      snapshots: 40,
      interval: 60,
      start: new Date(Date.UTC(2024, 2, 9, 22, 50, 0)),
      dateStyle: 'en-US',
      processes: [{pid: 2200, name: 'backup.exe', behaviour: {kind: 'timewait-leak', perMinute: 20, growthPerHour: 60, remote: '10.0.0.60:443'}}],
      background: 12,
    })
    const wide = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text.replace(/\r?\n/g, '\r\n'), 'utf16le')])
    const [plain, utf16] = tempFiles({'loop.txt': text, 'loop16.txt': wide})
    const plan = (file: string, size: number, bom: number, encoding?: string) =>
      planSplit(file, size, bom, {dateOrder: undefined, maxLine: 1 << 20, ranges: [], workers: 3, encoding})
    const longest = Math.max(...text.split('\n').map((l) => Buffer.byteLength(l) + 1))
    const cases: [string, number, number, string | undefined][] = [
      [plain!, Buffer.byteLength(text), 0, undefined],
      [utf16!, wide.length, 2, 'utf-16le'],
    ]
    const was = PLAN_PIECE.bytes
    try {
      for (const [file, size, bom, encoding] of cases) {
        PLAN_PIECE.bytes = was
        const whole = plan(file, size, bom, encoding)
        expect(whole).toHaveLength(3)
        // Pieces of a few lines, odd and even sizes: every line end falls somewhere in a piece or across two.
        for (const bytes of [2 * longest * (encoding ? 2 : 1) + 1, 4 * longest * (encoding ? 2 : 1), 4099]) {
          PLAN_PIECE.bytes = bytes
          expect(plan(file, size, bom, encoding)).toEqual(whole)
        }
        // Pieces shorter than a stamp line: every line is taken for no stamp, and no cut is planned.
        PLAN_PIECE.bytes = 16
        expect(plan(file, size, bom, encoding)).toBeNull()
      }
    } finally {
      PLAN_PIECE.bytes = was
    }
  })

  it('splits a loop of large snapshots when it looks far enough, and not when priming would cost more than a range', () => {
    // Snapshots of about 30 KB a minute: the prime (330 s) is six of them back, the next stamp one ahead.
    const text = (snapshots: number) =>
      loopText({
        seed: 5,
        snapshots,
        interval: 60,
        start: new Date(Date.UTC(2024, 4, 2, 9, 0, 0)),
        processes: [
          {pid: 1712, name: 'svchost.exe', behaviour: {kind: 'steady', established: 300, noise: 10, timeWaitChurn: 30}},
          {pid: 2200, name: 'backup.exe', behaviour: {kind: 'timewait-leak', perMinute: 20, growthPerHour: 60, remote: '10.0.0.60:443'}},
        ],
        background: 20,
      })
    const plan = (t: string, file: string) => planSplit(file, Buffer.byteLength(t), 0, {dateOrder: undefined, maxLine: 1 << 20, ranges: [], workers: 2})
    const [long, short] = [text(40), text(10)]
    const [longFile, shortFile] = tempFiles({'long.txt': long, 'short.txt': short})
    const snapshot = Buffer.byteLength(long) / 40
    const windows = [...PLAN_WINDOWS]
    const after = PLAN_AFTER.min
    try {
      PLAN_AFTER.min = Math.round(snapshot / 10)
      // Back far enough for the prime, but on too short a way to meet the next stamp: no split.
      PLAN_WINDOWS.splice(0, PLAN_WINDOWS.length, Math.round(snapshot * 3))
      expect(plan(long, longFile!)).toBeNull()
      // A wider window looks further on too (a quarter of it): split, primed with 330 s of snapshots.
      PLAN_WINDOWS.push(Math.round(snapshot * 12))
      const tasks = plan(long, longFile!)
      expect(tasks).toHaveLength(2)
      expect(tasks![1]!.start - tasks![1]!.primeStart).toBeGreaterThan(5 * snapshot)
      // Ten snapshots: the second worker would prime on more than its range holds; one thread reads it.
      expect(plan(short, shortFile!)).toBeNull()
    } finally {
      PLAN_WINDOWS.splice(0, PLAN_WINDOWS.length, ...windows)
      PLAN_AFTER.min = after
    }
  })

  it('reads a large loop it cannot split in this thread, ending the workers started for it', () => {
    // Workers start as soon as a large netstat file is detected, before the split is planned. Without stamp
    // lines there is no split: the workers are ended (else they would keep the process alive) and the one
    // thread reads the file. cliThreads fails the test on a timeout or a non-zero exit.
    const row = (i: number) => `  TCP    10.0.0.5:${49152 + (i % 16000)}    10.0.0.9:443    ESTABLISHED     ${4000 + (i % 7)}\r\n`
    const text = `\r\nActive Connections\r\n\r\n  Proto  Local Address          Foreign Address        State           PID\r\n${Array.from({length: 5000}, (_, i) => row(i)).join('')}`
    const [file] = tempFiles({'netstat.txt': text})
    expect(planSplit(file!, Buffer.byteLength(text), 0, {dateOrder: undefined, maxLine: 1 << 20, ranges: [], workers: 2})).toBeNull()
    const t0 = Date.now()
    const split = cli(['analyze', '--json', file!], 'split')
    expect(Date.now() - t0).toBeLessThan(60_000)
    expect(split).toBe(cli(['analyze', '--json', file!], 'single'))
    expect(JSON.parse(split).inputs[0].records).toBe(5000)
  })

  it('cuts loops past 2 GiB and 4 GiB at snapshot starts (offsets are never int32)', () => {
    // A sparse 6.6 GB file (no disk used): loop text at a third and two thirds, zeros elsewhere.
    const text = loopText({seed: 5, snapshots: 40, interval: 60, start: new Date(Date.UTC(2024, 4, 2, 8)), dateStyle: 'en-US', processes: []})
    const size = 6_600_000_000
    const at = [Math.floor(size / 3), Math.floor((2 * size) / 3)].map((c) => c - Math.floor(text.length / 2))
    const [file] = tempFiles({'big.txt': ''})
    truncateSync(file!, size)
    const fd = openSync(file!, 'r+')
    try {
      for (const o of at) writeSync(fd, text, o, 'latin1')
    } finally {
      closeSync(fd)
    }
    const plan = planSplit(file!, size, 0, {dateOrder: undefined, maxLine: 1 << 20, ranges: [], workers: 3})
    expect(plan).toHaveLength(3)
    expect(plan!.at(-1)!.end).toBe(size)
    for (const [k, task] of plan!.slice(1).entries()) {
      // Each cut lies in its copy of the text, at the start of a stamp line, primed from earlier in the same copy.
      const local = task.start - at[k]!
      expect(local).toBeGreaterThan(0)
      expect(text[local - 1]).toBe('\n')
      expect(parseStamp(text.slice(local, text.indexOf('\n', local)).trim())).not.toBeNull()
      expect(task.primeStart).toBeGreaterThanOrEqual(at[k]!)
      expect(task.primeStart).toBeLessThan(task.start)
    }
    expect(plan![1]!.start).toBeGreaterThan(2 ** 31)
    expect(plan![2]!.start).toBeGreaterThan(2 ** 32)
  })

  it('quotes the same rows when split, UTF-8 and UTF-16LE, from the landmarks the workers noted', () => {
    const text = loopText({...SCENARIOS.boundLeak, snapshots: 60})
    const lines = text.split('\n').map((l) => l.replace(/\r$/, ''))
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text.replace(/\r?\n/g, '\r\n'), 'utf16le')])
    const [plain, wide] = tempFiles({'loop.txt': text, 'loop16.txt': utf16})
    expect(Buffer.byteLength(text)).toBeGreaterThan(2 << 20)
    for (const file of [plain!, wide!]) {
      const split = cli(['analyze', '--json', file], 'split')
      expect(split).toBe(cli(['analyze', '--json', file], 'single'))
      const quoted = JSON.parse(split).findings.flatMap((f: {evidence: {line: number; quote?: string}[]}) => f.evidence.filter((e) => e.quote !== undefined))
      expect(quoted.length).toBeGreaterThanOrEqual(3)
      // Rows cited past the middle of the file: read again from a landmark, not from the start.
      expect(quoted.some((e: {line: number}) => e.line > lines.length / 2)).toBe(true)
      for (const e of quoted) expect(e.quote).toBe(lines[e.line - 1])
    }
  })

  it('digests a loop read by workers after the analysis: copies, sizes and --tz as one thread gives them', () => {
    const text = loopText({...SCENARIOS.boundLeak, snapshots: 60})
    // Two copies (a duplicate needs the digest before the analysis) and a loop of another size (it does not).
    const other = loopText({...SCENARIOS.boundLeak, snapshots: 61})
    const [a, b, c] = tempFiles({'loop-a.txt': text, 'loop-b.txt': text, 'loop-c.txt': other})
    const digest = createHash('sha256').update(text).digest('hex')
    for (const [file, t] of [[a!, text], [c!, other]] as const) {
      expect(planSplit(file, Buffer.byteLength(t), 0, {dateOrder: undefined, maxLine: 1 << 20, ranges: [], workers: 2})).toHaveLength(2)
    }
    for (const args of [[a!, b!], ['--tz', 'Asia/Kolkata', a!], [c!, a!]]) {
      const split = cli(['analyze', '--json', ...args], 'split')
      expect(split).toBe(cli(['analyze', '--json', ...args], 'single'))
      const inputs: {path: string; sha256: string; bytes: number; notes?: {duplicateOf?: string}}[] = JSON.parse(split).inputs
      const mine = inputs.find((i) => i.path === a)!
      expect(mine.sha256).toBe(digest)
      expect(mine.bytes).toBe(Buffer.byteLength(text))
      if (args.includes(b!)) expect(inputs.find((i) => i.path === b)!.notes?.duplicateOf).toBe(a)
    }
  })

  it('reads a UTF-16LE loop appended to a UTF-8 loop the same way when split', () => {
    const base = {interval: 60, dateStyle: 'en-US', seed: 3} as const
    const a = loopText({...base, snapshots: 60, start: new Date(Date.UTC(2024, 0, 1, 8)), processes: [{pid: 100, name: 'a.exe', behaviour: {kind: 'steady', established: 40, noise: 5, timeWaitChurn: 5}}]})
    const b = loopText({...base, snapshots: 20, start: new Date(Date.UTC(2024, 0, 1, 9)), bound: true, processes: [{pid: 200, name: 'b.exe', behaviour: {kind: 'leak', state: 'BOUND', perHour: 500}}]})
    const bytes = Buffer.concat([Buffer.from(a), Buffer.from([0xff, 0xfe]), Buffer.from(b, 'utf16le')])
    const [file] = tempFiles({'mixed.txt': bytes})
    expect(planSplit(file!, bytes.length, 0, {dateOrder: undefined, maxLine: 1 << 20, ranges: [], workers: 2})).toHaveLength(2)
    const split = cli(['inspect', '--json', file!], 'split')
    expect(split).toBe(cli(['inspect', '--json', file!], 'single'))
    const [input] = JSON.parse(split).inputs
    expect(input).toMatchObject({snapshots: 80, notes: {encodingSwitches: `utf-16le at byte ${Buffer.byteLength(a)}`}})
  })

  it('reads a loop that changes date style and crosses a daylight-saving change the same way when split', () => {
    // en-US stamps, then de-DE ones, with the autumn clock change (02:59 then 02:00) in the de-DE half.
    const s = {seed: 5, snapshots: 150, interval: 60, start: new Date(Date.UTC(2023, 9, 29, 1, 0)), bound: true, processes: [{pid: 200, name: 'b.exe', behaviour: {kind: 'leak', state: 'BOUND', perHour: 500}}]} as const
    const text = [...generateLoop(s)]
      .map((chunk, i) => {
        const t = s.start.getTime() + i * 60_000
        const wall = t >= Date.UTC(2023, 9, 29, 3, 0) ? t - 3_600_000 : t
        return stampLine(new Date(wall), i < 40 ? 'en-US' : 'de') + chunk.slice(chunk.indexOf('\r\n'))
      })
      .join('')
    const [file] = tempFiles({'netstat.txt': text})
    expect(planSplit(file!, Buffer.byteLength(text), 0, {dateOrder: undefined, maxLine: 1 << 20, ranges: [], workers: 2})).not.toBeNull()
    const split = cli(['inspect', '--json', file!], 'split')
    expect(split).toBe(cli(['inspect', '--json', file!], 'single'))
    const [input] = JSON.parse(split).inputs
    expect(input.timeRange).toEqual({start: '2023-10-29T01:00:00.000', end: '2023-10-29T03:29:00.000'})
    expect(input.notes).toMatchObject({dateOrders: expect.stringMatching(/^\/ mdy \(unambiguous, 40 stamps\); \. dmy \(unambiguous, 110 stamps\)$/), clockChanges: expect.stringMatching(/^clock back 1 h at snapshot 121 /)})
  })
})
