#!/usr/bin/env node
// Time-bounded fuzzing of every parser in the registry and of the input layer, seeded from the corpus.
//
//   npm run fuzz                               # 20 s with a random seed (printed)
//   npm run fuzz -- --seconds 600 --seed 42    # a long run a developer leaves going
//   npm run fuzz -- --seed 42 --case 1234      # replay one case in the foreground, with its stack
//   npm run fuzz -- --seed 42 --case 1234 --from 1000   # replay cases 1000..1234 in order (state left by earlier cases)
//   npm run fuzz -- --src                      # fuzz src/ through tsx instead of the built dist/
//
// Parser cases: a window of a fixture's lines, cut, repeated, shuffled and mixed with noise, fed to one
// parser: it must not throw and must account for every line. Evtx cases: a log built by src/synth/evtx.ts,
// damaged (flips, cuts, absurd sizes and offsets), read directly and as input. Input cases: a fixture's bytes flipped, cut,
// padded with NULs, re-encoded, gzipped or zipped, read as stdin once whole and once in random chunks: the
// layer must not throw, the two summaries must be equal, and every error must be one line.
// Cases run in a worker thread with a watchdog, so a hang is a failure too. Every failure is saved under a
// temp folder with its input and a one-line repro. Exit codes: 0 none found, 1 failures, 2 usage or setup.
import {randomBytes} from 'node:crypto'
import {existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {Readable} from 'node:stream'
import {fileURLToPath, pathToFileURL} from 'node:url'
import {Worker, isMainThread, parentPort, workerData} from 'node:worker_threads'
import {crc32, deflateRawSync, gzipSync} from 'node:zlib'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')
const MAX_COMPARED = 60 * 1024
const REASONS = new Set(['junk', 'truncated', 'elision', 'ping', 'echo', 'malformed', 'too-long', 'binary', 'damaged', 'checksum'])

/** Loads the modules under test from dist/ (built) or src/ (through tsx). */
async function load(src) {
  if (src) {
    const {register} = await import('tsx/esm/api')
    register()
  } else if (!existsSync(join(ROOT, 'dist/pipeline.js'))) {
    throw new Error('dist/ is not built: run `npm run build` first, or pass --src')
  }
  const from = (path) => import(pathToFileURL(join(ROOT, src ? `src/${path}.ts` : `dist/${path}.js`)).href)
  const [registry, collect, encoding, pipeline, errors, binary, evtxSynth] = await Promise.all(
    ['parsers/registry', 'parsers/collect', 'input/encoding', 'pipeline', 'errors', 'parsers/binary', 'synth/evtx'].map(from),
  )
  return {parsers: registry.parsers, ...collect, ...encoding, ...pipeline, PortleakError: errors.PortleakError, ...binary, ...evtxSynth}
}

/** Every committed fixture, good and bad, with its folder (the format id for good ones). */
function loadCorpus() {
  const out = []
  const base = join(ROOT, 'corpus')
  for (const folder of readdirSync(base).sort()) {
    const dir = join(base, folder)
    if (!statSync(dir).isDirectory()) continue
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name)
      if (statSync(path).isFile() && name !== 'README.md') out.push({folder, name: `${folder}/${name}`, bytes: readFileSync(path)})
    }
  }
  return out
}

/** Mulberry32 seeded by (seed, case index): every case can be rebuilt on its own. */
function rngFor(seed, index) {
  let a = (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(index + 1, 0xc2b2ae35)) >>> 0
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const int = (n) => Math.floor(next() * n)
  return {next, int, pick: (xs) => xs[int(xs.length)], chance: (p) => next() < p}
}

const NOISE_LINES = [
  '', '...', '[snip]', 'C:\\Windows\\system32>netstat -ano', 'PS C:\\> Get-Date', '\u0000\u0000\u0000',
  '\t', '"', '{', '}', '],', '----', '0: kd> ',
]

function randomText(r, max) {
  const n = r.int(max)
  let s = ''
  for (let i = 0; i < n; i++) {
    const k = r.int(10)
    // Printable ASCII mostly, then any BMP character, NULs and lone surrogates.
    if (k < 6) s += String.fromCharCode(32 + r.int(95))
    else if (k < 8) s += String.fromCharCode(r.int(0x3000))
    else s += k < 9 ? '\u0000' : String.fromCharCode(0xd800 + r.int(0x800))
  }
  return s
}

function mutateLines(r, lines, pool) {
  const out = [...lines]
  for (let k = r.int(10); k > 0; k--) {
    const i = r.int(out.length + 1)
    switch (r.int(9)) {
      case 0: out.splice(i, 1); break
      case 1: out.splice(i, 0, out[r.int(out.length)] ?? ''); break
      case 2: if (out[i] !== undefined) out[i] = out[i].slice(0, r.int(out[i].length + 1)); break
      case 3: out.splice(i, 0, randomText(r, 120)); break
      case 4: out.splice(i, 0, r.pick(pool)); break
      case 5: out.splice(i, 0, r.pick(NOISE_LINES)); break
      case 6: if (out[i] !== undefined) out[i] = out[i].replace(/\d/g, () => String(r.int(10))); break
      case 7: if (out[i] !== undefined) out[i] = out[i] + out[i]; break
      default: if (out.length > 1) out.splice(r.int(out.length), 0, ...out.splice(i, 1 + r.int(5))); break
    }
  }
  return out.map((l) => l.replace(/\n/g, ' ').replace(/\r+$/, ''))
}

/** CR, LF, a doubled CR, and the UTF-8 and UTF-16LE byte order marks, inserted anywhere. */
const BREAKS = [[0x0d], [0x0a], [0x0d, 0x0d, 0x0a], [0xef, 0xbb, 0xbf], [0xff, 0xfe]]

function mutateBytes(r, bytes) {
  let b = Buffer.from(bytes)
  for (let k = r.int(8); k > 0; k--) {
    const i = r.int(b.length + 1)
    switch (r.int(8)) {
      case 0: if (b.length) b[Math.min(i, b.length - 1)] = r.int(256); break
      case 1: b = Buffer.concat([b.subarray(0, i), randomBytes16(r, 1 + r.int(64)), b.subarray(i)]); break
      case 2: b = Buffer.concat([b.subarray(0, i), Buffer.alloc(1 + r.int(4096)), b.subarray(i)]); break
      case 3: b = Buffer.concat([b.subarray(0, i), b.subarray(Math.min(b.length, i + r.int(512)))]); break
      case 4: b = b.subarray(0, i); break
      case 5: b = Buffer.concat([b.subarray(0, i), Buffer.from(r.pick(BREAKS)), b.subarray(i)]); break
      case 6: b = Buffer.concat([b.subarray(0, i), b.subarray(i, i + r.int(2048)), b.subarray(i)]); break
      default: b = Buffer.concat([b, Buffer.from(b.subarray(0, r.int(4096)).toString('latin1'), 'utf16le')]); break
    }
  }
  return b
}

function randomBytes16(r, n) {
  const b = Buffer.alloc(n)
  for (let i = 0; i < n; i++) b[i] = r.int(256)
  return b
}

/** A minimal deflate zip (names may be hostile: they are only displayed). */
function zipOf(entries) {
  const locals = []
  const centrals = []
  let offset = 0
  for (const {name, data} of entries) {
    const raw = Buffer.from(name, 'utf8')
    const body = deflateRawSync(data)
    const local = Buffer.alloc(30)
    local.writeUInt32LE(0x04034b50, 0)
    local.writeUInt16LE(20, 4)
    local.writeUInt16LE(0x0800, 6)
    local.writeUInt16LE(8, 8)
    local.writeUInt32LE(crc32(data), 14)
    local.writeUInt32LE(body.length, 18)
    local.writeUInt32LE(data.length, 22)
    local.writeUInt16LE(raw.length, 26)
    const central = Buffer.alloc(46)
    central.writeUInt32LE(0x02014b50, 0)
    central.writeUInt16LE(20, 4)
    central.writeUInt16LE(20, 6)
    central.writeUInt16LE(0x0800, 8)
    central.writeUInt16LE(8, 10)
    central.writeUInt32LE(crc32(data), 16)
    central.writeUInt32LE(body.length, 20)
    central.writeUInt32LE(data.length, 24)
    central.writeUInt16LE(raw.length, 28)
    central.writeUInt32LE(offset, 42)
    locals.push(local, raw, body)
    centrals.push(central, raw)
    offset += 30 + raw.length + body.length
  }
  const cd = Buffer.concat(centrals)
  const end = Buffer.alloc(22)
  end.writeUInt32LE(0x06054b50, 0)
  end.writeUInt16LE(entries.length, 8)
  end.writeUInt16LE(entries.length, 10)
  end.writeUInt32LE(cd.length, 12)
  end.writeUInt32LE(offset, 16)
  return Buffer.concat([...locals, cd, end])
}

/**
 * A binary case: an `.evtx` log built by the writer (Tcpip and service events, templates inline and
 * nested, chunks of random fill), then damaged: bytes flipped, cut, inserted, and u32 fields set to
 * absurd sizes and offsets (0, huge, pointing at themselves or back into the chunk).
 */
function evtxCase(m, r, index) {
  const t0 = Date.UTC(2023, 2, 10, 9, 0, 0)
  const events = Array.from({length: 1 + r.int(60)}, (_, i) =>
    r.chance(0.4)
      ? m.tcpipEvent(r.pick([4227, 4231, 4266]), t0 + i * 1000, r.pick(['APP02', 'WEB01']))
      : {time: t0 + i * 1000, provider: 'Service Control Manager', eventId: 7036, level: 4, computer: 'APP02', data: {param1: `s${r.int(9)}`, param2: 'running'}, nested: r.chance(0.5)},
  )
  let bytes = Buffer.from(m.writeEvtx(events, {maxRecordsPerChunk: 1 + r.int(25)}).buf)
  for (let k = 1 + r.int(6); k > 0 && bytes.length >= 8; k--) {
    if (r.chance(0.5)) {
      const at = 4096 + r.int(Math.max(1, bytes.length - 4100))
      const chunkStart = at - ((at - 4096) % 65536)
      const v = r.pick([0, 0xffffffff, 0x7fffffff, at - chunkStart, at - chunkStart + 4, 512, 65536, r.int(65536)])
      if (at + 4 <= bytes.length) bytes.writeUInt32LE(v >>> 0, at)
    } else bytes = mutateBytes(r, bytes)
  }
  if (r.chance(0.5)) m.fixChecksums(bytes)
  const cuts = Array.from({length: r.int(13)}, () => r.int(bytes.length + 1))
  return {index, kind: 'evtx', bytes, cuts}
}

/** Rebuilds case `index` of `seed` (pure: same arguments, same case). */
function makeCase(m, corpus, seed, index) {
  const r = rngFor(seed, index)
  if (r.chance(0.12)) return evtxCase(m, r, index)
  const texts = corpus.filter((f) => f.folder !== 'bad')
  if (r.chance(0.55)) {
    const parser = r.pick(m.parsers)
    const own = texts.filter((f) => f.folder === parser.id)
    const fixture = own.length && r.chance(0.8) ? r.pick(own) : r.pick(texts)
    const all = m.splitLines(decode(m, fixture.bytes)).lines
    const start = r.int(all.length)
    const window = all.slice(start, start + 1 + r.int(300))
    const lines = mutateLines(r, window, all.length ? all : [''])
    return {index, kind: 'parser', parser: parser.id, fixture: fixture.name, lines, ended: r.chance(0.8)}
  }
  const fixture = r.pick(corpus)
  const large = r.chance(0.1)
  const start = r.chance(0.7) ? 0 : r.int(fixture.bytes.length)
  let content = mutateBytes(r, fixture.bytes.subarray(start, start + (large ? 400_000 : r.int(MAX_COMPARED))))
  if (!large && content.length > MAX_COMPARED) content = content.subarray(0, MAX_COMPARED)
  let bytes = content
  let wrap = 'none'
  const w = r.next()
  if (w < 0.1) {
    wrap = 'gzip'
    bytes = gzipSync(content)
  } else if (w < 0.2) {
    wrap = 'zip'
    const other = r.pick(corpus).bytes.subarray(0, 8192)
    bytes = zipOf([
      {name: r.pick(['netstat.txt', 'logs/a.txt', '../../x.txt', '/abs.txt', 'C:/w.txt']), data: content},
      {name: r.pick(['b.txt', 'inner.zip', 'logs/b.gz']), data: r.chance(0.3) ? zipOf([{name: 'n.txt', data: other}]) : other},
    ])
  }
  if (wrap !== 'none' && r.chance(0.3)) bytes = mutateBytes(r, bytes)
  const cuts = Array.from({length: r.int(13)}, () => r.int(bytes.length + 1))
  return {index, kind: 'input', fixture: fixture.name, wrap, large: content.length > MAX_COMPARED, bytes, cuts, analyze: r.chance(0.1)}
}

function decode(m, bytes) {
  const {encoding, bomLength} = m.sniffEncoding(bytes.subarray(0, 64 * 1024))
  const d = m.createDecoder(encoding)
  return d.write(bytes.subarray(bomLength)) + d.end()
}

function piecesOf(bytes, cuts) {
  const at = [...cuts].sort((a, b) => a - b)
  const out = []
  let prev = 0
  for (const c of at) {
    out.push(bytes.subarray(prev, c))
    prev = c
  }
  out.push(bytes.subarray(prev))
  return out
}

const sum = (o) => Object.values(o).reduce((a, b) => a + b, 0)

function summaryProblem(s) {
  if (s.skipped !== sum(s.skippedByReason)) return `${s.path}: skipped ${s.skipped} but ${sum(s.skippedByReason)} by reason`
  if (s.records !== sum(s.byKind)) return `${s.path}: records ${s.records} but ${sum(s.byKind)} by kind`
  if (s.error !== null && (s.error.includes('\n') || /\bat .+:\d+:\d+/.test(s.error))) {
    return `${s.path}: error is not one line: ${JSON.stringify(s.error)}`
  }
  if (s.format === null && s.error === null) return `${s.path}: no format and no error`
  return null
}

/** Runs one case; returns null when it holds, else what went wrong. */
async function check(m, c) {
  if (c.kind === 'parser') {
    const parser = m.parsers.find((p) => p.id === c.parser)
    const sink = new m.CollectingSink()
    const lp = parser.create(sink, {path: '<fuzz>'})
    c.lines.forEach((l, i) => lp.line(l, i + 1))
    lp.end(c.ended)
    const got = m.accountedLines(sink.result)
    if (got !== c.lines.length) return `accounts for ${got} of ${c.lines.length} lines`
    const bad = sink.result.skipped.find((s) => !REASONS.has(s.reason))
    if (bad) return `unknown skip reason '${bad.reason}' at line ${bad.line}`
    const out = sink.result.records.find((x) => !(x.line >= 1 && x.line <= c.lines.length))
    if (out) return `record with line ${out.line} outside 1..${c.lines.length}`
    return null
  }
  if (c.kind === 'evtx') {
    const sink = new m.CollectingSink()
    const evtx = m.parsers.find((p) => p.id === 'evtx')
    await evtx.binary.read(m.bufferSource(c.bytes), sink, {path: '<fuzz>'})
    const bad = sink.result.skipped.find((s) => !REASONS.has(s.reason) || !(s.line >= 1))
    if (bad) return `bad skip: reason '${bad.reason}' at unit ${bad.line}`
    const out = sink.result.records.find((x) => !(x.line >= 1))
    if (out) return `record with line ${out.line}`
  }
  // Over the 64 KiB sniff window the encoding is forced: the sniffed one depends on chunking (known bug).
  const o = c.large ? {encoding: m.sniffEncoding(c.bytes.subarray(0, 64 * 1024)).encoding} : {}
  const whole = await m.inspectInputs(['-'], {...o, stdin: () => Readable.from([c.bytes])})
  const cut = await m.inspectInputs(['-'], {...o, stdin: () => Readable.from(piecesOf(c.bytes, c.cuts))})
  for (const s of [...whole.inputs, ...cut.inputs]) {
    const p = summaryProblem(s)
    if (p) return p
  }
  const a = JSON.stringify(whole.inputs)
  const b = JSON.stringify(cut.inputs)
  if (a !== b) {
    let i = 0
    while (a[i] === b[i]) i++
    return `chunking changes the summary near: ${a.slice(Math.max(0, i - 60), i + 40)} ≠ ${b.slice(Math.max(0, i - 60), i + 40)}`
  }
  if (c.analyze) {
    try {
      await m.runAnalysis(['-'], {...o, stdin: () => Readable.from([c.bytes])})
    } catch (error) {
      if (!(error instanceof m.PortleakError)) throw error
      if (error.message.includes('\n')) return `analysis error is not one line: ${JSON.stringify(error.message)}`
    }
  }
  return null
}

async function runOne(m, c) {
  try {
    return await check(m, c)
  } catch (error) {
    return `threw ${error?.name ?? 'error'}: ${error?.message ?? String(error)}`
  }
}

// ---------------------------------------------------------------------------------------------------------
// Worker: runs cases from `start` until the deadline, reporting each before it runs (the watchdog's heartbeat).

if (!isMainThread) {
  const {seed, start, deadline, src} = workerData
  const m = await load(src)
  const corpus = loadCorpus()
  let i = start
  for (; Date.now() < deadline; i++) {
    const c = makeCase(m, corpus, seed, i)
    parentPort.postMessage({type: 'case', index: i, kind: c.kind})
    const problem = await runOne(m, c)
    if (problem) parentPort.postMessage({type: 'fail', index: i, problem})
  }
  parentPort.postMessage({type: 'done', next: i})
}

// ---------------------------------------------------------------------------------------------------------
// Main: arguments, watchdog, failure files, summary.

function parseArgs(argv) {
  const o = {seconds: 20, seed: null, case: null, from: null, src: false, hangMs: 10_000}
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    const value = () => {
      const v = Number(argv[++i])
      if (!Number.isInteger(v) || v < 0) throw new Error(`${a} needs a non-negative integer`)
      return v
    }
    if (a === '--seconds') o.seconds = value()
    else if (a === '--seed') o.seed = value()
    else if (a === '--case') o.case = value()
    else if (a === '--from') o.from = value()
    else if (a === '--hang-ms') o.hangMs = value()
    else if (a === '--src') o.src = true
    else if (a === '--help' || a === '-h') o.help = true
    else throw new Error(`unknown argument ${a}`)
  }
  return o
}

const USAGE = 'usage: node scripts/fuzz.mjs [--seconds N] [--seed S] [--case I [--from F]] [--src] [--hang-ms MS]'

async function main() {
  let o
  try {
    o = parseArgs(process.argv.slice(2))
  } catch (error) {
    process.stderr.write(`${error.message}\n${USAGE}\n`)
    return 2
  }
  if (o.help) {
    process.stdout.write(`${USAGE}\n`)
    return 0
  }
  const seed = o.seed ?? randomBytes(4).readUInt32LE(0) >>> 1
  const repro = (i) => `node scripts/fuzz.mjs --seed ${seed} --case ${i}${o.src ? ' --src' : ''}`
  let m
  try {
    m = await load(o.src)
  } catch (error) {
    process.stderr.write(`fuzz: ${error.message}\n`)
    return 2
  }
  const corpus = loadCorpus()

  if (o.case !== null && o.from !== null) {
    // Cases F..I in order in this process: failures that need the cases before them (leaked state).
    for (let i = o.from; i <= o.case; i++) {
      const c = makeCase(m, corpus, seed, i)
      if (i === o.case || (i - o.from) % 500 === 0) process.stdout.write(`fuzz: seed ${seed} case ${i}: ${describe(c)}\n`)
      const problem = await runOne(m, c)
      if (problem) {
        process.stdout.write(`FAIL case ${i}: ${problem}\n`)
        return 1
      }
    }
    process.stdout.write('ok\n')
    return 0
  }
  if (o.case !== null) {
    const c = makeCase(m, corpus, seed, o.case)
    process.stdout.write(`fuzz: seed ${seed} case ${o.case}: ${describe(c)}\n`)
    try {
      const problem = await check(m, c)
      process.stdout.write(problem ? `FAIL ${problem}\n` : 'ok\n')
      return problem ? 1 : 0
    } catch (error) {
      process.stdout.write(`FAIL threw:\n${error?.stack ?? error}\n`)
      return 1
    }
  }

  const files = `${m.parsers.length} parsers, ${corpus.length} corpus files`
  process.stdout.write(`fuzz: seed ${seed}, ${o.seconds} s, ${files} (replay: --seed ${seed})\n`)
  const t0 = Date.now()
  const deadline = t0 + o.seconds * 1000
  let outDir = null
  const failures = []
  const counts = {parser: 0, input: 0, evtx: 0}
  const save = (index, problem) => {
    outDir ??= mkdtempSync(join(tmpdir(), `portleak-fuzz-${seed}-`))
    const c = makeCase(m, corpus, seed, index)
    const input = join(outDir, `case-${index}.${c.kind === 'parser' ? 'txt' : 'bin'}`)
    writeFileSync(input, c.kind === 'parser' ? c.lines.join('\r\n') + (c.ended ? '\r\n' : '') : c.bytes)
    writeFileSync(join(outDir, `case-${index}.md`), `${describe(c)}\n\n${problem}\n\nrepro: ${repro(index)}\n`)
    failures.push(index)
    process.stdout.write(`FAIL case ${index} (${describe(c)}): ${problem}\n  repro: ${repro(index)}   input: ${input}\n`)
  }

  let next = 0
  while (Date.now() < deadline) {
    next = await new Promise((resolve) => {
      const worker = new Worker(new URL(import.meta.url), {workerData: {seed, start: next, deadline, src: o.src}})
      let current = next
      let last = Date.now()
      let settled = false
      const settle = (value, problem) => {
        if (settled) return
        settled = true
        clearInterval(watchdog)
        if (problem) save(current, problem)
        resolve(value)
      }
      const watchdog = setInterval(() => {
        if (Date.now() - last < o.hangMs) return
        settle(current + 1, `hang: no progress for ${o.hangMs / 1000} s`)
        void worker.terminate()
      }, 250)
      worker.on('message', (msg) => {
        last = Date.now()
        if (msg.type === 'case') {
          current = msg.index
          counts[msg.kind]++
        } else if (msg.type === 'fail') save(msg.index, msg.problem)
        else if (msg.type === 'done') settle(msg.next)
      })
      worker.on('error', (error) => settle(current + 1, `worker crashed: ${error.message}`))
      worker.on('exit', (code) => settle(current + 1, `worker exited with code ${code} during the case`))
    })
  }
  const secs = ((Date.now() - t0) / 1000).toFixed(1)
  process.stdout.write(
    `fuzz: seed ${seed}, ${counts.parser + counts.input + counts.evtx} cases in ${secs} s (${counts.parser} parser, ${counts.input} input, ${counts.evtx} evtx), ` +
      `${failures.length} failure${failures.length === 1 ? '' : 's'}${outDir ? `, saved under ${outDir}` : ''}\n`,
  )
  return failures.length ? 1 : 0
}

function describe(c) {
  if (c.kind === 'parser') return `parser ${c.parser} on ${c.lines.length} lines from ${c.fixture}`
  if (c.kind === 'evtx') return `evtx reader and input layer on ${c.bytes.length} bytes of a built, damaged log in ${c.cuts.length + 1} chunks`
  const wrap = c.wrap !== 'none' ? ` (${c.wrap})` : ''
  return `input layer on ${c.bytes.length} bytes from ${c.fixture}${wrap} in ${c.cuts.length + 1} chunks`
}

if (isMainThread) process.exitCode = await main()
