#!/usr/bin/env node
// Benchmark: portleak inspect/analyze against the awk one-liner a support engineer would reach for,
// on a seeded, generated `netstat -anoq` loop (cached outside the repo).
//
//   npm run bench                       # ≥ 500 MB loop, 3 alternating runs
//   npm run bench -- --runs 5
//   npm run bench -- --big              # also a 5 GB loop (slow; not for CI)
//   npm run bench -- --stages [--mb 120] [--instructions]
//                                       # where one worker's time goes, stage by stage, in process;
//                                       # --instructions: valgrind's count per MB (steady despite a noisy machine)
//   npm run bench -- --evtx-only [--evtx-mb 200]
//                                       # only the .evtx line: inspect on a generated System log
//   PORTLEAK_BENCH_DIR=/data npm run bench
import {execFileSync, spawn, spawnSync} from 'node:child_process'
import {closeSync, createWriteStream, existsSync, mkdirSync, openSync, renameSync, statSync, writeSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const args = process.argv.slice(2)
const opt = (name, dflt) => {
  const i = args.indexOf(name)
  return i >= 0 ? args[i + 1] : dflt
}
const runs = Number(opt('--runs', '3'))
const seed = Number(opt('--seed', '42'))
const cache = process.env.PORTLEAK_BENCH_DIR ?? join(tmpdir(), 'portleak-bench')
// About 0.78 MB per snapshot of the bench scenario: 650 snapshots ≈ 505 MB, 6,500 ≈ 5 GB.
const sizes = [{label: '500 MB', snapshots: Number(opt('--snapshots', '650'))}]
if (args.includes('--big')) sizes.push({label: '5 GB', snapshots: 6500})

const AWK = `/^(Mon|Tue|Wed|Thu|Fri|Sat|Sun) [0-9]/{s++} $1=="TCP"{c[s SUBSEP $5 SUBSEP $4]++} END{for(k in c)n++; print n}`
const TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : null

async function generate(snapshots) {
  mkdirSync(cache, {recursive: true})
  // v2: the leak is scaled to the loop's length (v1's 5 GB loop filled the range and kept growing).
  const file = join(cache, `netstat-anoq-v2-${snapshots}-seed${seed}.txt`)
  if (existsSync(file)) return file
  process.stderr.write(`generating ${file} …\n`)
  const {generateLoop} = await import(join(root, 'dist/synth/loop.js'))
  const {benchScenario} = await import(join(root, 'dist/synth/bench-scenario.js'))
  const tmp = `${file}.part`
  const out = createWriteStream(tmp)
  for (const chunk of generateLoop(benchScenario(snapshots, seed))) {
    if (!out.write(chunk)) await new Promise((r) => out.once('drain', r))
  }
  await new Promise((r) => out.end(r))
  renameSync(tmp, file)
  return file
}

/** A generated `.evtx` System log of about `mb` MB (src/synth/evtx.ts), written chunk by chunk, cached. */
async function generateEvtx(mb) {
  mkdirSync(cache, {recursive: true})
  const file = join(cache, `system-v1-${mb}mb.evtx`)
  if (existsSync(file)) return file
  process.stderr.write(`generating ${file} …\n`)
  const {evtxChunks, benchEvents} = await import(join(root, 'dist/synth/evtx.js'))
  const tmp = `${file}.part`
  const fd = openSync(tmp, 'w')
  let pos = 4096
  const parts = evtxChunks(benchEvents(mb))
  let next = parts.next()
  for (; !next.done; next = parts.next()) pos += writeSync(fd, next.value, 0, next.value.length, pos)
  writeSync(fd, next.value, 0, next.value.length, 0)
  closeSync(fd)
  renameSync(tmp, file)
  return file
}

/**
 * `portleak inspect --json` on a generated .evtx: MB/s of wall time and of CPU time (user + sys, steadier
 * on a shared machine), and peak RSS (target ≥ 50 MB/s on one core, memory flat).
 */
async function benchEvtx() {
  const file = await generateEvtx(Number(opt('--evtx-mb', '200')))
  const mb = statSync(file).size / 1e6
  const runsOut = []
  for (let r = 0; r < runs; r++) {
    const t0 = process.hrtime.bigint()
    const res = TIME
      ? spawnSync(TIME, ['-f', '%M %U %S', process.execPath, bin, 'inspect', '--json', file], {encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe']})
      : spawnSync(process.execPath, [bin, 'inspect', '--json', file], {stdio: 'ignore'})
    const secs = Number(process.hrtime.bigint() - t0) / 1e9
    const [kb, user, sys] = TIME ? res.stderr.trim().split('\n').at(-1).split(' ').map(Number) : [NaN, NaN, NaN]
    runsOut.push({secs, cpu: user + sys, rss: kb / 1024})
  }
  const wall = median(runsOut.map((r) => r.secs))
  const cpu = median(runsOut.map((r) => r.cpu))
  const rss = Math.max(...runsOut.map((r) => r.rss))
  console.log(`\nevtx: ${file} (${mb.toFixed(0)} MB)`)
  console.log(`${'tool'.padEnd(26)}${'median s'.padStart(10)}${'MB/s'.padStart(9)}${'cpu s'.padStart(9)}${'MB/cpu-s'.padStart(10)}${'peak RSS MB'.padStart(13)}`)
  console.log(
    `${'portleak inspect --json'.padEnd(26)}${wall.toFixed(2).padStart(10)}${(mb / wall).toFixed(0).padStart(9)}${cpu.toFixed(2).padStart(9)}${(mb / cpu).toFixed(0).padStart(10)}${(Number.isFinite(rss) ? rss.toFixed(0) : '–').padStart(13)}  (target ≥ 50 MB/s on one core)`,
  )
}

/** Runs a command, discarding stdout; returns wall seconds and peak RSS in MB (GNU time). */
function measure(cmd, cmdArgs) {
  return new Promise((resolve, reject) => {
    const argv = TIME ? ['-f', '%M', cmd, ...cmdArgs] : cmdArgs
    const t0 = process.hrtime.bigint()
    const child = spawn(TIME ?? cmd, argv, {stdio: ['ignore', 'ignore', 'pipe'], env: {...process.env, NO_COLOR: '1'}})
    let err = ''
    child.stderr.on('data', (d) => (err += d))
    child.on('error', reject)
    child.on('close', (code) => {
      const secs = Number(process.hrtime.bigint() - t0) / 1e9
      if (code !== 0 && code !== 3) return reject(new Error(`${cmd} exited ${code}: ${err.slice(-300)}`))
      const kb = Number(err.trim().split('\n').at(-1))
      resolve({secs, rssMb: Number.isFinite(kb) ? kb / 1024 : null})
    })
  })
}

/**
 * One worker's pipeline stage by stage (scripts/stages.mjs), each in its own process on the loop's first
 * MB: the first run (cold: the JIT is still warming up) and the fastest of the others. With
 * `--instructions`, valgrind counts instructions on an 8 MB and a 24 MB slice: their difference per MB
 * does not move with the machine's load (wall times here swing by up to 1.7× within minutes).
 */
async function stages(file) {
  const script = join(root, 'scripts/stages.mjs')
  const mb = opt('--mb', '120')
  const names = ['split', 'parse', 'summary', 'case']
  console.log(`stages on the first ${mb} MB of ${file}, ${runs} runs each (node ${process.version})`)
  console.log(`${'stage'.padEnd(10)}${'first ms'.padStart(10)}${'best ms'.padStart(10)}${'MB/s'.padStart(8)}`)
  for (const stage of names) {
    const out = JSON.parse(execFileSync(process.execPath, [script, stage, file, mb, String(Math.max(2, runs))], {encoding: 'utf8'}))
    const best = Math.min(...out.ms.slice(1))
    console.log(`${stage.padEnd(10)}${String(out.ms[0]).padStart(10)}${String(best).padStart(10)}${(out.bytes / 1e3 / best).toFixed(0).padStart(8)}`)
  }
  if (!args.includes('--instructions')) return
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

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

execFileSync('npx', ['tsc', '-p', 'tsconfig.json'], {cwd: root, stdio: 'inherit'})
const bin = join(root, 'bin/run.js')
if (args.includes('--evtx-only')) {
  await benchEvtx()
  process.exit(0)
}
if (args.includes('--stages')) {
  await stages(await generate(sizes[0].snapshots))
  process.exit(0)
}
const tools = [
  {name: 'mawk one-liner', cmd: 'mawk', args: (f) => [AWK, f]},
  {name: 'portleak inspect --json', cmd: process.execPath, args: (f) => [bin, 'inspect', '--json', f]},
  {name: 'portleak analyze --json', cmd: process.execPath, args: (f) => [bin, 'analyze', '--json', f]},
]
const analyzeRss = []
console.log(`node ${process.version}, ${runs} alternating runs, median wall time; peak RSS from ${TIME ?? '(unavailable)'}`)
for (const size of sizes) {
  const file = await generate(size.snapshots)
  const mb = statSync(file).size / 1e6
  const results = tools.map(() => ({secs: [], rss: []}))
  for (let r = 0; r < runs; r++) {
    for (const [i, t] of tools.entries()) {
      const m = await measure(t.cmd, t.args(file))
      results[i].secs.push(m.secs)
      if (m.rssMb !== null) results[i].rss.push(m.rssMb)
    }
  }
  console.log(`\n${size.label}: ${file} (${mb.toFixed(0)} MB, ${size.snapshots} snapshots)`)
  console.log(`${'tool'.padEnd(26)}${'median s'.padStart(10)}${'MB/s'.padStart(9)}${'peak RSS MB'.padStart(13)}`)
  for (const [i, t] of tools.entries()) {
    const s = median(results[i].secs)
    const rss = results[i].rss.length ? Math.max(...results[i].rss).toFixed(0) : '–'
    console.log(`${t.name.padEnd(26)}${s.toFixed(2).padStart(10)}${(mb / s).toFixed(0).padStart(9)}${rss.padStart(13)}`)
  }
  const ratio = median(results[2].secs) / median(results[0].secs)
  console.log(`analyze / mawk wall-time ratio: ${ratio.toFixed(2)} (target ≤ 0.50)`)
  if (results[2].rss.length) analyzeRss.push({label: size.label, mb: Math.max(...results[2].rss)})
}
if (analyzeRss.length === 2) {
  const [small, big] = analyzeRss
  const growth = big.mb / small.mb
  console.log(`\nanalyze peak RSS: ${small.mb.toFixed(0)} MB (${small.label}) → ${big.mb.toFixed(0)} MB (${big.label}): ×${growth.toFixed(2)} (target: ≤ 256 MB and ≤ ×1.10)`)
}
await benchEvtx()
