import {spawnSync} from 'node:child_process'
import {existsSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {afterAll, describe, expect, it} from 'vitest'

// @ts-expect-error scripts/bench.mjs is plain JavaScript without type declarations
import {awkCommand, markdownTable, measure, parseArgs, summarize} from '../../scripts/bench.mjs'
import {BENCH_SHAPES} from '../../src/synth/bench-shapes.js'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const NAMES = BENCH_SHAPES.map((s) => s.name)
const dir = mkdtempSync(join(tmpdir(), 'portleak-bench-test-'))
afterAll(() => rmSync(dir, {recursive: true, force: true}))
const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0

type Measured = {ok: boolean; status: string; wall: number | null; cpu: number | null; rssMb: number | null; error: string | null}
const ok = (wall: number, cpu: number): Measured => ({ok: true, status: 'exit 0', wall, cpu, rssMb: 50, error: null})

describe('npm run bench: arguments', () => {
  it('reads runs, shapes, sizes and modes', () => {
    expect(parseArgs([], NAMES)).toMatchObject({runs: 3, seed: 42, shapes: [], snapshots: null, big: false, all: false, stages: false, help: false})
    expect(parseArgs(['--runs', '1', '--shape', 'busy', '--shape', 'utf16', '--big', '--snapshots', '4', '--seed', '9', '--all'], NAMES)).toMatchObject({
      runs: 1,
      shapes: ['busy', 'utf16'],
      big: true,
      snapshots: 4,
      seed: 9,
      all: true,
    })
    expect(parseArgs(['--stages', '--mb', '24', '--instructions'], NAMES)).toMatchObject({stages: true, mb: '24', instructions: true})
    expect(parseArgs(['--help'], NAMES).help).toBe(true)
  })

  it.each([
    [['--runs', '0'], /--runs needs a positive whole number, not '0'/],
    [['--runs'], /--runs needs a positive whole number/],
    [['--snapshots', 'many'], /--snapshots needs a positive whole number, not 'many'/],
    [['--shape', 'nope'], /unknown shape 'nope' \(shapes: repeat, busy/],
    [['--frobnicate'], /unknown option '--frobnicate'/],
  ])('refuses %j', (argv, message) => {
    expect(() => parseArgs(argv, NAMES)).toThrow(message)
  })

  it.skipIf(!existsSync(join(ROOT, 'dist/synth/bench-shapes.js')))('--help lists the shapes without running anything (skipped when dist/ is not built)', () => {
    const res = spawnSync(process.execPath, ['scripts/bench.mjs', '--help'], {cwd: ROOT, encoding: 'utf8'})
    expect(res.status).toBe(0)
    expect(res.stdout).toMatch(/^usage: npm run bench/)
    for (const name of NAMES) expect(res.stdout).toContain(name)
  })
})

describe('npm run bench: measuring and reporting', () => {
  it('reports a command that exits non-zero as failed, with its status and last stderr line', async () => {
    const m: Measured = await measure('sh', ['-c', 'echo reading; echo "first problem" >&2; echo "internal error: Worker terminated due to reaching memory limit" >&2; exit 7'])
    expect(m).toMatchObject({ok: false, status: 'exit 7', error: 'internal error: Worker terminated due to reaching memory limit'})
  })

  it('reports a command killed by a signal (the OOM killer) as failed', async () => {
    const m: Measured = await measure('sh', ['-c', 'kill -9 $$'])
    expect(m.ok).toBe(false)
    expect(m.status).toMatch(/^signal (9|SIGKILL)$/)
  })

  it('takes the message of a --json error on stdout when stderr is empty', async () => {
    const doc = JSON.stringify({error: {code: 'ERUNTIME', message: 'loop.txt: JS heap out of memory'}}, null, 2)
    const m: Measured = await measure(process.execPath, ['-e', `console.log(${JSON.stringify(doc)}); process.exitCode = 1`])
    expect(m).toMatchObject({ok: false, status: 'exit 1', error: 'loop.txt: JS heap out of memory'})
  })

  it('times a command that succeeds', async () => {
    const m: Measured = await measure('sh', ['-c', 'exit 0'])
    expect(m).toMatchObject({ok: true, status: 'exit 0', error: null})
    expect(m.wall).toBeGreaterThanOrEqual(0)
  })

  it('a tool with one failed run out of three is a failure in the table, with no time; the others get ratios to awk', () => {
    const awk = summarize('mawk one-liner', [ok(2, 1.8), ok(2.2, 2), ok(1.8, 1.6)], 500)
    const inspect = summarize('portleak inspect --json', [ok(1, 1.5), ok(1.2, 1.7), ok(1.1, 1.6)], 500)
    const failedRun: Measured = {ok: false, status: 'exit 1', wall: 7, cpu: 3, rssMb: 290, error: 'internal error: Worker terminated due to reaching memory limit: JS heap out of memory'}
    const analyze = summarize('portleak analyze --json', [ok(3, 4), failedRun, ok(3, 4)], 500)
    expect(awk).toMatchObject({ok: true, wall: 2, cpu: 1.8, mbps: 250})
    expect(analyze).toMatchObject({ok: false, status: 'exit 1', failures: 1, runs: 3})
    const table = markdownTable([{shape: 'b busy', mb: 500, snapshots: 600, rows: [awk, inspect, analyze]}])
    const lines = table.split('\n')
    expect(lines).toHaveLength(5)
    expect(lines[3]).toBe('| b busy | 500 MB, 600 snapshots | portleak inspect --json | exit 0 | 1.10 | 1.60 | 455 | 50 | 0.55 | 0.89 |')
    expect(lines[4]).toMatch(/^\| b busy \| 500 MB, 600 snapshots \| portleak analyze --json \| \*\*FAILED\*\* \(1\/3\) exit 1: internal error: Worker terminated .* \| – \| – \| – \| – \| – \| – \|$/)
  })
})

describe.skipIf(!has('mawk') || !has('iconv') || !has('bash'))('npm run bench: the awk one-liner per shape (skipped without mawk, iconv and bash)', () => {
  it.each(['busy', 'utf16'])('%s: counts (snapshot, PID, state) groups', async (name) => {
    const shape = BENCH_SHAPES.find((s) => s.name === name)!
    const file = join(dir, `${name}.txt`)
    writeFileSync(file, Buffer.concat([...shape.generate(2, 1)].map((c) => Buffer.from(c))))
    const cmd = awkCommand(shape, file) as {name: string; cmd: string; args: string[]}
    const res = spawnSync(cmd.cmd, cmd.args, {encoding: 'utf8'})
    expect(res.stderr).toBe('')
    expect(res.status).toBe(0)
    // Two snapshots of a few processes and states each.
    expect(Number(res.stdout)).toBeGreaterThan(4)
    expect(Number(res.stdout)).toBeLessThan(60)
  })
})
