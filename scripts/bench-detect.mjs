#!/usr/bin/env node
// Times the growth detection alone (`detectGrowth`, the serial analysis after the workers have read a loop):
//   node scripts/bench-detect.mjs capture BUILT_TREE LOOP OUT.bin   reads LOOP once with BUILT_TREE's dist and
//        keeps detectGrowth's arguments (v8-serialized: the timeline and the remote endpoints are plain data)
//   node scripts/bench-detect.mjs time BUILT_TREE OUT.bin RUNS [RESULT.json]   runs BUILT_TREE's detectGrowth
//        RUNS times on them and prints {min, cpuMin, ms} (wall and CPU ms); RESULT.json gets its output, to compare two builds with `cmp`.
//   node scripts/bench-detect.mjs ab TREE_A TREE_B OUT.bin RUNS   both builds in one process, alternating run by run:
//        the CPU ms of each one's first run (cold, as the CLI runs it) and its minimum.
// Alternate the builds and take minima: one run on a shared machine means little.
import {readFileSync, writeFileSync} from 'node:fs'
import {register} from 'node:module'
import {join, resolve} from 'node:path'
import {pathToFileURL} from 'node:url'
import {deserialize, serialize} from 'node:v8'

const [mode, treeArg, a, b, c] = process.argv.slice(2)
const tree = resolve(treeArg ?? '.')
const dist = (p) => pathToFileURL(join(tree, 'dist', p)).href

if (mode === 'capture') {
  // analyze.js imports './detect.js': resolve it to a wrapper that records the arguments.
  const real = dist('analysis/detect.js')
  const wrapper = `data:text/javascript,${encodeURIComponent(`import * as real from ${JSON.stringify(real)}; export * from ${JSON.stringify(real)};
export function detectGrowth(...args) { globalThis.__detectArgs = args; return real.detectGrowth(...args) }`)}`
  const hooks = `export async function resolve(spec, ctx, next) {
  if (spec === './detect.js' && ctx.parentURL?.endsWith('/analysis/analyze.js')) return {url: ${JSON.stringify(wrapper)}, shortCircuit: true}
  return next(spec, ctx)
}`
  register(`data:text/javascript,${encodeURIComponent(hooks)}`)
  const {runAnalysis} = await import(dist('pipeline.js'))
  await runAnalysis([resolve(a)], {quotes: false})
  writeFileSync(b, serialize(globalThis.__detectArgs))
  console.log(`captured ${b}`)
} else if (mode === 'time') {
  const {detectGrowth} = await import(dist('analysis/detect.js'))
  const args = deserialize(readFileSync(a))
  const ms = []
  const cpu = []
  let out
  for (let r = 0; r < Number(b ?? 10); r++) {
    const t0 = performance.now()
    const c0 = process.cpuUsage()
    out = detectGrowth(...args)
    const c1 = process.cpuUsage(c0)
    ms.push(Math.round((performance.now() - t0) * 10) / 10)
    // CPU time of the process (the collector's threads included): less hostage to a busy machine than wall time.
    cpu.push(Math.round((c1.user + c1.system) / 100) / 10)
  }
  if (c) writeFileSync(c, JSON.stringify(out, null, 1))
  console.log(JSON.stringify({min: Math.min(...ms), cpuMin: Math.min(...cpu), ms}))
} else if (mode === 'ab') {
  // Two builds in one process, alternating run by run: both see the same machine at the same moments.
  const other = resolve(a)
  const trees = [tree, other]
  const fns = await Promise.all(trees.map(async (t) => (await import(pathToFileURL(join(t, 'dist/analysis/detect.js')).href)).detectGrowth))
  const args = deserialize(readFileSync(b))
  const ms = trees.map(() => [])
  for (let r = 0; r < Number(c ?? 10); r++) {
    fns.forEach((f, k) => {
      const c0 = process.cpuUsage()
      f(...args)
      const c1 = process.cpuUsage(c0)
      ms[k].push(Math.round((c1.user + c1.system) / 100) / 10)
    })
  }
  console.log(JSON.stringify(Object.fromEntries(trees.map((t, k) => [t, {first: ms[k][0], cpuMin: Math.min(...ms[k])}]))))
} else {
  console.error('usage: bench-detect.mjs capture TREE LOOP OUT.bin | time TREE OUT.bin RUNS [RESULT.json] | ab TREE_A TREE_B OUT.bin RUNS')
  process.exit(2)
}
