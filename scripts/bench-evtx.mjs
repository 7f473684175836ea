#!/usr/bin/env node
// The .evtx line of the benchmark: `portleak inspect --json` on a generated System log (src/synth/evtx.ts,
// cached in $PORTLEAK_BENCH_DIR): MB/s of wall and CPU time, and peak RSS (target: at least 50 MB/s on one
// core, memory flat). `npm run bench` runs it after the loop shapes; alone:
//   node scripts/bench-evtx.mjs [--evtx-mb 200] [--runs 3]
import {closeSync, existsSync, mkdirSync, openSync, renameSync, statSync, writeSync} from 'node:fs'
import {spawnSync} from 'node:child_process'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {fileURLToPath, pathToFileURL} from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const args = process.argv.slice(2)
const opt = (name, dflt) => {
  const i = args.indexOf(name)
  return i >= 0 ? args[i + 1] : dflt
}
const runs = Number(opt('--runs', '3'))
const cache = process.env.PORTLEAK_BENCH_DIR ?? join(tmpdir(), 'portleak-bench')
const TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : null
const bin = join(root, 'bin/run.js')
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

/** A generated `.evtx` System log of about `mb` MB (src/synth/evtx.ts), written chunk by chunk, cached. */
async function generateEvtx(mb) {
  mkdirSync(cache, {recursive: true})
  const file = join(cache, `system-v1-${mb}mb.evtx`)
  if (existsSync(file)) return file
  process.stderr.write(`generating ${file} …\n`)
  const {evtxChunks, benchEvents} = await import(pathToFileURL(join(root, 'dist/synth/evtx.js')).href)
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
export async function benchEvtx() {
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


if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await benchEvtx()
