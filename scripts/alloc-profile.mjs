#!/usr/bin/env node
// Where this thread allocates while `analyze` reads and analyzes a file (the workers are not sampled):
//   node scripts/alloc-profile.mjs LOOP [TOP]
// V8's sampling heap profiler, collected objects included, so the figure is bytes allocated (the
// young generation's churn), not bytes kept. Built-in frames are shown with their two nearest callers.
// Cold code allocates what optimized code does not (an iterator result per for-of step, boxed doubles):
// the analysis runs once per process, so that is what a run pays.
import {Session} from 'node:inspector/promises'

const [file, top = '25'] = process.argv.slice(2)
if (!file) {
  console.error('usage: node scripts/alloc-profile.mjs LOOP [TOP]')
  process.exit(2)
}
const session = new Session()
session.connect()
await session.post('HeapProfiler.enable')
await session.post('HeapProfiler.startSampling', {samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true})
const {runAnalysis} = await import('../dist/pipeline.js')
await runAnalysis([file], {})
const {profile} = await session.post('HeapProfiler.stopSampling')
const bytes = new Map()
const walk = (node, stack) => {
  const f = node.callFrame
  const here = `${f.functionName || '(anonymous)'} ${f.url.split('/dist/')[1] ?? f.url.split('/').pop()}:${f.lineNumber + 1}`
  const key = f.url ? here : `${here} <- ${stack.slice(-2).reverse().join(' <- ')}`
  if (node.selfSize) bytes.set(key, (bytes.get(key) ?? 0) + node.selfSize)
  for (const c of node.children) walk(c, [...stack, here])
}
walk(profile.head, [])
const mb = (x) => (x / 1048576).toFixed(1).padStart(7)
console.log(`${mb([...bytes.values()].reduce((a, b) => a + b, 0))} MB allocated in all`)
for (const [k, v] of [...bytes].sort((a, b) => b[1] - a[1]).slice(0, Number(top))) console.log(`${mb(v)}  ${k}`)
