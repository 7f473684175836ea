#!/usr/bin/env node
// Benchmark: portleak inspect/analyze against the awk one-liner a support engineer would reach for, in the
// same run, on seeded, generated netstat loops of several shapes (cached outside the repo). See USAGE.
import {execFileSync, spawn, spawnSync} from 'node:child_process'
import {createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {fileURLToPath, pathToFileURL} from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')

export const USAGE = `usage: npm run bench -- [options]

Generates each loop shape (cached in $PORTLEAK_BENCH_DIR, default the system temp folder) and runs the
mawk one-liner, portleak inspect --json and portleak analyze --json on it, alternating, in the same run.
Reports wall and CPU time (medians), MB/s, peak RSS, exit status and the ratio to mawk; a run that fails
is reported as failed with its exit status and last error line, never as a time.

  --runs N           alternating runs per shape (median reported; default 3)
  --shape NAME       run only this shape (repeatable); names: SHAPES
  --all              also the cardinality shapes (local-addresses, short-lived, endpoints, churn)
  --snapshots N      snapshots of each shape's ~0.5 GB file (--big: 10 × N)
  --big              also the shapes that have a 5 GB size (repeat, busy)
  --seed N           generator seed (default 42)
  --stages [--mb 120] [--instructions]
                     where one worker's time goes, stage by stage (8-bit shapes; default: repeat)
  --help             this text`

/** Parses the bench's arguments; throws an Error with a one-line message on a bad one. */
export function parseArgs(argv, shapeNames) {
  const o = {runs: 3, seed: 42, shapes: [], snapshots: null, big: false, all: false, stages: false, instructions: false, mb: '120', help: false}
  const number = (flag, v) => {
    if (!/^\d+$/.test(v ?? '') || Number(v) < 1) throw new Error(`${flag} needs a positive whole number, not '${v ?? ''}'`)
    return Number(v)
  }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (a === '--help' || a === '-h') o.help = true
    else if (a === '--runs') o.runs = number(a, argv[++i])
    else if (a === '--seed') o.seed = number(a, argv[++i])
    else if (a === '--snapshots') o.snapshots = number(a, argv[++i])
    else if (a === '--mb') o.mb = String(number(a, argv[++i]))
    else if (a === '--shape') {
      const name = argv[++i]
      if (!shapeNames.includes(name)) throw new Error(`unknown shape '${name ?? ''}' (shapes: ${shapeNames.join(', ')})`)
      o.shapes.push(name)
    } else if (a === '--big') o.big = true
    else if (a === '--all') o.all = true
    else if (a === '--stages') o.stages = true
    else if (a === '--instructions') o.instructions = true
    else throw new Error(`unknown option '${a}' (see --help)`)
  }
  return o
}

const TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : null

/** The message of the last line a failed command left: stderr's, else a `--json` error's message on stdout. */
function lastLine(stderr, stdout) {
  const line = stderr.split('\n').map((l) => l.trim()).filter(Boolean).at(-1)
  if (line) return line
  const json = [...stdout.matchAll(/"message":\s*"((?:[^"\\]|\\.)*)"/g)].at(-1)
  return json ? JSON.parse(`"${json[1]}"`) : (stdout.split('\n').map((l) => l.trim()).filter(Boolean).at(-1) ?? '')
}

/**
 * Runs a command with stdout discarded (its tail kept for errors). Returns {ok, status, wall, cpu, rssMb,
 * error}: wall seconds; CPU seconds (user + sys of it and its children) and peak RSS from GNU time, null
 * without it; status `exit N` or `signal N`; error the last line it wrote when it failed.
 */
export function measure(cmd, cmdArgs) {
  return new Promise((resolve) => {
    const dir = TIME ? mkdtempSync(join(tmpdir(), 'portleak-time-')) : null
    const out = dir ? join(dir, 'time') : null
    const argv = TIME ? ['-o', out, '-f', '%e %U %S %M', cmd, ...cmdArgs] : cmdArgs
    const t0 = process.hrtime.bigint()
    const child = spawn(TIME ?? cmd, argv, {stdio: ['ignore', 'pipe', 'pipe'], env: {...process.env, NO_COLOR: '1'}})
    let err = ''
    let stdout = ''
    child.stdout.on('data', (d) => (stdout = (stdout + d).slice(-8192)))
    child.stderr.on('data', (d) => (err = (err + d).slice(-8192)))
    child.on('error', (e) => resolve({ok: false, status: 'not run', wall: null, cpu: null, rssMb: null, error: e.message}))
    child.on('close', (code, signal) => {
      const wall = Number(process.hrtime.bigint() - t0) / 1e9
      const report = out && existsSync(out) ? readFileSync(out, 'utf8') : ''
      if (dir) rmSync(dir, {recursive: true, force: true})
      const [, user, sys, kb] = (report.trim().split('\n').at(-1) ?? '').split(' ').map(Number)
      const bySignal = /terminated by signal (\d+)/.exec(report)
      const byExit = /non-zero status (\d+)/.exec(report)
      const status = signal ? `signal ${signal}` : bySignal ? `signal ${bySignal[1]}` : byExit ? `exit ${byExit[1]}` : `exit ${code}`
      const ok = status === 'exit 0'
      const cpu = Number.isFinite(user) && Number.isFinite(sys) ? user + sys : null
      resolve({ok, status, wall, cpu, rssMb: Number.isFinite(kb) ? kb / 1024 : null, error: ok ? null : lastLine(err, stdout) || '(no output)'})
    })
  })
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

/** One tool's runs on one file → a row: medians when every run succeeded, else the first failure. */
export function summarize(tool, runs, mb) {
  const failed = runs.find((r) => !r.ok)
  if (failed) return {tool, ok: false, status: failed.status, error: failed.error, failures: runs.filter((r) => !r.ok).length, runs: runs.length}
  const cpus = runs.map((r) => r.cpu).filter((c) => c !== null)
  const rss = runs.map((r) => r.rssMb).filter((c) => c !== null)
  const wall = median(runs.map((r) => r.wall))
  return {tool, ok: true, status: 'exit 0', wall, cpu: cpus.length ? median(cpus) : null, mbps: mb / wall, rssMb: rss.length ? Math.max(...rss) : null, runs: runs.length}
}

const fmt = (x, digits) => (x === null || x === undefined ? '–' : x.toFixed(digits))

/** The results as a markdown table (ratios are to each file's first row, the awk one-liner's, same run). */
export function markdownTable(results) {
  const lines = ['| shape | size | tool | status | wall s | CPU s | MB/s | peak RSS MB | wall × mawk | CPU × mawk |', '|---|---|---|---|---:|---:|---:|---:|---:|---:|']
  for (const r of results) {
    const awk = r.rows[0]
    for (const x of r.rows) {
      const cells = x.ok
        ? [x.status, fmt(x.wall, 2), fmt(x.cpu, 2), fmt(x.mbps, 0), fmt(x.rssMb, 0), awk.ok ? fmt(x.wall / awk.wall, 2) : '–', awk.ok && x.cpu !== null && awk.cpu > 0 ? fmt(x.cpu / awk.cpu, 2) : '–']
        : [`**FAILED** (${x.failures}/${x.runs}) ${x.status}: ${x.error.replaceAll('|', '\\|').slice(0, 160)}`, '–', '–', '–', '–', '–', '–']
      lines.push(`| ${r.shape} | ${r.mb.toFixed(0)} MB, ${r.snapshots} snapshots | ${x.tool} | ${cells.join(' | ')} |`)
    }
  }
  return lines.join('\n')
}

/** The awk one-liner (rows per snapshot, PID and state), through iconv for a UTF-16LE loop. */
export function awkCommand(shape, file) {
  const awk = `/${shape.stampPattern}/{s++} $1=="TCP"{c[s SUBSEP $5 SUBSEP $4]++} END{for(k in c)n++; print n}`
  if (shape.encoding === 'utf-8') return {name: 'mawk one-liner', cmd: 'mawk', args: [awk, file]}
  return {name: 'iconv + mawk one-liner', cmd: 'bash', args: ['-c', 'set -o pipefail; iconv -f UTF-16LE -t UTF-8 "$1" | mawk "$2"', 'bash', file, awk]}
}

/** The shape's cached file, generated first when missing; `speed` says how fast when it was generated now. */
export async function generate(cache, shape, snapshots, seed) {
  mkdirSync(cache, {recursive: true})
  const file = join(cache, shape.file(snapshots, seed))
  if (existsSync(file)) return {file, speed: null}
  process.stderr.write(`generating ${file} …\n`)
  const tmp = `${file}.part`
  const out = createWriteStream(tmp)
  const t0 = process.hrtime.bigint()
  const c0 = process.cpuUsage()
  let bytes = 0
  for (const chunk of shape.generate(snapshots, seed)) {
    bytes += chunk.length
    if (!out.write(chunk)) await new Promise((r) => out.once('drain', r))
  }
  await new Promise((r) => out.end(r))
  renameSync(tmp, file)
  const wall = Number(process.hrtime.bigint() - t0) / 1e9
  const cpu = process.cpuUsage(c0)
  const speed = {shape: shape.name, mb: bytes / 1e6, wall, cpu: (cpu.user + cpu.system) / 1e6}
  process.stderr.write(`  ${speed.mb.toFixed(0)} MB in ${wall.toFixed(1)} s (${(speed.mb / wall).toFixed(0)} MB/s wall, ${(speed.mb / speed.cpu).toFixed(0)} MB per CPU-second)\n`)
  return {file, speed}
}

/**
 * One worker's pipeline stage by stage (scripts/stages.mjs), each in its own process on the loop's first
 * MB: the first run (cold: the JIT is still warming up) and the fastest of the others. With
 * `--instructions`, valgrind counts instructions on an 8 MB and a 24 MB slice: their difference per MB
 * does not move with the machine's load (wall times here swing by up to 1.7× within minutes).
 */
async function stages(file, o) {
  const script = join(root, 'scripts/stages.mjs')
  const names = ['split', 'parse', 'summary', 'case']
  console.log(`stages on the first ${o.mb} MB of ${file}, ${o.runs} runs each (node ${process.version})`)
  console.log(`${'stage'.padEnd(10)}${'first ms'.padStart(10)}${'best ms'.padStart(10)}${'MB/s'.padStart(8)}`)
  for (const stage of names) {
    const out = JSON.parse(execFileSync(process.execPath, [script, stage, file, o.mb, String(Math.max(2, o.runs))], {encoding: 'utf8'}))
    const best = Math.min(...out.ms.slice(1))
    console.log(`${stage.padEnd(10)}${String(out.ms[0]).padStart(10)}${String(best).padStart(10)}${(out.bytes / 1e3 / best).toFixed(0).padStart(8)}`)
  }
  reference(file, o)
  if (!o.instructions) return
  const count = (stage, slice) => {
    const vg = ['--tool=callgrind', '--callgrind-out-file=/dev/null', process.execPath, '--no-concurrent-recompilation', '--single-threaded', script, stage, file, slice, '1']
    const res = spawnSync('valgrind', vg, {encoding: 'utf8'})
    const m = /Collected : (\d+)/.exec(res.stderr ?? '')
    if (!m) throw new Error(`valgrind failed: ${(res.error?.message ?? res.stderr ?? '').slice(-300)}`)
    return Number(m[1])
  }
  console.log('\ninstructions per MB (valgrind, 24 MB minus 8 MB slice)')
  for (const stage of names) console.log(`${stage.padEnd(10)}${((count(stage, '24') - count(stage, '8')) / 16e6).toFixed(1).padStart(10)} M`)
}

/**
 * The same per-row work in plain C (bench/netstat-reference.c, built here with `cc -O2`), on the same
 * bytes, as the yardstick issue #22 measures the worker against: its best of the runs, and the ratio of
 * the `case` stage to it. Skipped, and said so, without a C compiler.
 */
function reference(file, o) {
  const bin = join(tmpdir(), `portleak-netstat-reference-${process.pid}`)
  const cc = spawnSync('cc', ['-O2', '-o', bin, join(root, 'bench/netstat-reference.c')], {encoding: 'utf8'})
  if (cc.error || cc.status !== 0) {
    console.log(`${'C ref'.padEnd(10)}  skipped: no C compiler (${(cc.error?.message ?? cc.stderr).trim().split('\n')[0]})`)
    return
  }
  try {
    const ms = []
    let bytes = 0
    for (let r = 0; r < Math.max(2, o.runs); r++) {
      const out = JSON.parse(execFileSync(bin, [file, o.mb], {encoding: 'utf8'}))
      ms.push(Math.round(out.ms))
      bytes = out.bytes
    }
    const best = Math.min(...ms.slice(1))
    console.log(`${'C ref'.padEnd(10)}${String(ms[0]).padStart(10)}${String(best).padStart(10)}${(bytes / 1e3 / best).toFixed(0).padStart(8)}   (bench/netstat-reference.c, cc -O2)`)
  } finally {
    rmSync(bin, {force: true})
  }
}

async function main() {
  const argv = process.argv.slice(2)
  const registry = join(root, 'dist/synth/bench-shapes.js')
  // The generators run from dist/, built here the way `npm install` builds it (tsc, then the bundle of the entry
  // modules, the kernel): a bench measures the current source as users run it. tsc alone left the entries
  // unbundled, about 120 modules loaded per thread. --help needs no build.
  if (!(argv.some((a) => a === '--help' || a === '-h') && existsSync(registry))) execFileSync('npm', ['run', '--silent', 'build'], {cwd: root, stdio: 'inherit'})
  const {BENCH_SHAPES} = await import(pathToFileURL(registry).href)
  const names = BENCH_SHAPES.map((s) => s.name)
  let o
  try {
    o = parseArgs(argv, names)
  } catch (e) {
    console.error(`bench: ${e.message}`)
    process.exit(2)
  }
  if (o.help) {
    console.log(USAGE.replace('SHAPES', names.join(', ')))
    return
  }
  const cache = process.env.PORTLEAK_BENCH_DIR ?? join(tmpdir(), 'portleak-bench')
  const chosen = BENCH_SHAPES.filter((s) => (o.shapes.length ? o.shapes.includes(s.name) : s.core || o.all))
  if (o.stages) {
    const shape = chosen.find((s) => s.encoding === 'utf-8') ?? BENCH_SHAPES[0]
    await stages((await generate(cache, shape, o.snapshots ?? shape.snapshots, o.seed)).file, o)
    return
  }
  const runs = []
  for (const shape of chosen) {
    runs.push({shape, snapshots: o.snapshots ?? shape.snapshots})
    if (o.big && shape.bigSnapshots) runs.push({shape, snapshots: o.snapshots ? 10 * o.snapshots : shape.bigSnapshots})
  }
  const bin = join(root, 'bin/run.js')
  const results = []
  const speeds = []
  console.log(`node ${process.version}, ${o.runs} alternating runs per shape, medians; CPU time and peak RSS from ${TIME ?? '(GNU time unavailable)'}`)
  for (const {shape, snapshots} of runs) {
    const {file, speed} = await generate(cache, shape, snapshots, o.seed)
    if (speed) speeds.push(speed)
    const mb = statSync(file).size / 1e6
    const tools = [
      awkCommand(shape, file),
      {name: 'portleak inspect --json', cmd: process.execPath, args: [bin, 'inspect', '--json', file]},
      {name: 'portleak analyze --json', cmd: process.execPath, args: [bin, 'analyze', '--json', file]},
    ]
    const measured = tools.map(() => [])
    for (let r = 0; r < o.runs; r++) {
      for (const [i, t] of tools.entries()) {
        process.stderr.write(`  ${shape.name} ${mb.toFixed(0)} MB run ${r + 1}/${o.runs}: ${t.name} … `)
        const m = await measure(t.cmd, t.args)
        process.stderr.write(m.ok ? `${m.wall.toFixed(1)} s\n` : `failed (${m.status}: ${m.error})\n`)
        measured[i].push(m)
      }
    }
    results.push({shape: `${shape.letter} ${shape.name}`, snapshots, mb, rows: tools.map((t, i) => summarize(t.name, measured[i], mb))})
  }
  console.log(`\n${markdownTable(results)}\n`)
  for (const shape of chosen) console.log(`- ${shape.letter} \`${shape.name}\`: ${shape.title}`)
  if (speeds.length) {
    console.log('\ngenerated this run:')
    for (const s of speeds) console.log(`- ${s.shape}: ${s.mb.toFixed(0)} MB in ${s.wall.toFixed(1)} s wall, ${(s.mb / s.cpu).toFixed(0)} MB per CPU-second`)
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main()
  // The .evtx reader's line, after the loops (not with --shape, --stages or --help).
  const a = process.argv.slice(2)
  if (!a.some((x) => ['--shape', '--stages', '--help', '-h'].includes(x))) await (await import('./bench-evtx.mjs')).benchEvtx()
}
