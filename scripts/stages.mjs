#!/usr/bin/env node
// One stage of the netstat pipeline, in this process, on the first MB of a loop (see bench.mjs --stages):
//   split    lines only (the byte splitter with a parser that does nothing)
//   parse    the netstat parser into a sink that keeps nothing (every row the long way)
//   summary  parser → SummarySink (rows repeated from the snapshot before go the short way)
//   case     parser → SummarySink → the case (aggregation per snapshot), what one worker does
// Prints one JSON line: {stage, bytes, ms: [per run, in order]}.
//   node scripts/stages.mjs <stage> <file> <megabytes> <runs> [--src]   (--src: src/ through tsx, for tests)
import {closeSync, openSync, readSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {fileURLToPath, pathToFileURL} from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const src = process.argv.includes('--src')
const [stage, file, mb, runs] = process.argv.slice(2).filter((a) => a !== '--src')
const STAGES = ['split', 'parse', 'summary', 'case']
if (!STAGES.includes(stage) || !file || !(Number(mb) > 0) || !(Number(runs) >= 1)) {
  console.error(`usage: node scripts/stages.mjs <${STAGES.join('|')}> <file> <megabytes> <runs> [--src]${STAGES.includes(stage) ? '' : ` (unknown stage ${stage})`}`)
  process.exit(2)
}
if (src) (await import('tsx/esm/api')).register()
const from = (path) => import(pathToFileURL(join(root, src ? `src/${path}.ts` : `dist/${path}.js`)).href)
const {netstatParser} = await from('formats/netstat/index')
const {ByteLineSplitter, lineDecoder} = await from('input/lines')
const {SummarySink} = await from('model/summary')
const {CaseBuilder} = await from('model/case-builder')

const buf = Buffer.allocUnsafe(Math.round(Number(mb) * 1e6))
const fd = openSync(file, 'r')
const bytes = readSync(fd, buf, 0, buf.length, 0)
closeSync(fd)
const input = buf.subarray(0, bytes)
const CHUNK = 1 << 20
const decode = lineDecoder('utf-8')
const noop = () => {}
const nullSink = {snapshot: noop, snapshotTimes: noop, truncatedSnapshot: noop, connection: noop, process: noop, handle: noop, handleCount: noop, event: noop, portRange: noop, structure: noop, skip: noop, note: noop}

function once() {
  let sink = nullSink
  let parser = {lineBytes: noop, line: noop, end: noop}
  let next = null
  if (stage !== 'split') {
    if (stage === 'summary') sink = new SummarySink(file, 'netstat', null)
    else if (stage === 'case') {
      next = new CaseBuilder(null).sinkFor(file, 'netstat')
      sink = new SummarySink(file, 'netstat', next)
    }
    parser = netstatParser.create(sink, {path: file, decodeBytes: decode, addressIds: next?.addressIds})
  }
  const splitter = new ByteLineSplitter(parser, sink, CHUNK, decode)
  for (let o = 0; o < input.length; o += CHUNK) splitter.push(input.subarray(o, Math.min(input.length, o + CHUNK)))
  splitter.end()
  next?.finish()
}

const ms = []
for (let r = 0; r < Number(runs); r++) {
  const t0 = performance.now()
  once()
  ms.push(Math.round(performance.now() - t0))
}
console.log(JSON.stringify({stage, bytes, ms}))
