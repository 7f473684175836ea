#!/usr/bin/env node
// Time-bounded fuzzing of every parser in the registry and of the input layer, seeded from the corpus.
//
//   npm run fuzz                               # 20 s with a random seed (printed)
//   npm run fuzz -- --seconds 600 --seed 42    # a long run a developer leaves going
//   npm run fuzz -- --seconds 3 --min-cases 40 # and at least 40 cases, however loaded the machine
//   npm run fuzz -- --seed 42 --case 1234      # replay one case in the foreground, with its stack
//   npm run fuzz -- --seed 42 --case 1234 --from 1000   # replay cases 1000..1234 in order (state left by earlier cases)
//   npm run fuzz -- --src                      # fuzz src/ through tsx instead of the built dist/
//
// Parser cases: a window of a fixture's lines, cut, repeated, shuffled and mixed with noise, fed to one
// parser: it must not throw and must account for every line. Input cases: a fixture's bytes flipped, cut,
// padded with NULs, re-encoded, gzipped, zipped (entries overlapping too) or tarred, or one-line JSON,
// read as stdin once whole and once in random chunks: the layer must not throw, the two summaries must be
// equal, and every error must be one line. Some input cases first plant control characters (C0, C1, DEL,
// bidi controls, line breaks) in the fields of every kind of line, and in zip entry names: every output
// (analyze and inspect text, HTML, markdown, CSV, JSON Lines, redacted reports, error messages) must show
// them inert, and no value may start a line of its own (some cases plant one in every field of every line).
// FIFO cases: a writer that stays open, read with --max-bytes; the read must end, within the bound. Folder
// cases: the evidence under a file name with control characters beside a FIFO and a symlink loop; the read
// must end and the inspect text show the name inert. Noise cases: over 64 KiB of `ping -t` output before the
// evidence must not change the format detected.
// Binary cases: a dump fixture's bytes cut, flipped and with header fields set to absurd sizes and offsets
// (past the end, pointing back at themselves), read by a binary reader: it must not throw or hang.
// Cases run in a worker thread with a watchdog, so a hang is a failure too. Every failure is saved under a
// temp folder with its input and a one-line repro. Exit codes: 0 none found, 1 failures, 2 usage or setup.
import {randomBytes} from 'node:crypto'
import {existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
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
  const [registry, collect, encoding, pipeline, errors, binary] = await Promise.all(
    ['formats/registry', 'formats/shared/collect', 'input/encoding', 'pipeline', 'errors', 'formats/shared/binary'].map(from),
  )
  // The renderers only for cases that check outputs, loaded on the first one (keeps short runs short).
  let renderers = null
  const loadRenderers = async () => {
    renderers ??= Object.assign(
      {},
      ...(await Promise.all(['report/analyze-text', 'report/inspect-text', 'report/html', 'report/markdown', 'report/export', 'report/redact'].map(from))),
    )
    return renderers
  }
  return {parsers: registry.parsers, ...collect, ...encoding, ...pipeline, PortleakError: errors.PortleakError, bufferSource: binary.bufferSource, loadRenderers}
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

/** Values a hostile header puts in a size, count or offset field. */
function absurd(r, b, at) {
  return r.pick([0, 1, 0xffffffff, 0x7fffffff, 0x80000000, b.length, b.length - 1, b.length + 1, at, at - 12, r.int(b.length), 16, 32, 40, r.int(2 ** 32)])
}

/** A binary fixture cut, flipped, and with u32 fields (aligned, mostly in the first 8 KiB) set to absurd values. */
function mutateBinary(r, bytes) {
  const b = Buffer.from(r.chance(0.5) ? mutateBytes(r, bytes) : bytes)
  for (let k = 1 + r.int(6); k > 0 && b.length >= 4; k--) {
    const span = r.chance(0.7) ? Math.min(b.length, 8192) : b.length
    const at = Math.min(r.int(span) & ~3, b.length - 4)
    b.writeUInt32LE(absurd(r, b, at) >>> 0, at)
  }
  return r.chance(0.2) ? b.subarray(0, r.int(b.length + 1)) : b
}

/** What must never reach an output raw: C0 but tab and LF, DEL, C1, bidi controls, U+2028/2029. */
const RAW = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/
const UNSAFE_BITS = [
  '\u001b[2J', '\u001b]0;owned\u0007', '\u001b]52;c;eA==\u0007', '\u009b31m', '\u0085', '\u007f', '\u202e', '\u2066', '\u200f',
  '\u061c', '\u2028', '\u2029', '\r', '\nHEALTHY: forged', '\u0000', '\u0008', '"\n"', '\t',
]

/** Inserts unsafe characters at field boundaries (after spaces, commas, tabs, quotes, colons, brackets) of random lines. */
function plantControls(r, text) {
  const lines = text.split('\n')
  for (let k = 1 + r.int(20); k > 0; k--) {
    const i = r.int(lines.length)
    const line = lines[i]
    const spots = [...line.matchAll(/[ ,\t":[\]=<>]+/g)].map((m) => m.index + m[0].length)
    const at = spots.length ? r.pick(spots) : r.int(line.length + 1)
    lines[i] = line.slice(0, at) + r.pick(UNSAFE_BITS) + line.slice(at)
  }
  return lines.join('\n')
}

/** Inserts an unsafe character at every field boundary of every line (the first 300 lines): no field is spared. */
function plantEverywhere(r, text) {
  return text
    .split('\n')
    .map((line, i) => (i >= 300 ? line : line.replace(/[ ,\t":[\]=<>]+/g, (sep) => sep + r.pick(UNSAFE_BITS))))
    .join('\n')
}

/** Lines a `ping -t` in the loop writes: enough of them to push the evidence past the 64 KiB detection window. */
function pingNoise(r) {
  const lines = ['', 'Pinging 10.0.0.1 with 32 bytes of data:']
  for (let n = 1300 + r.int(800); n > 0; n--) lines.push(`Reply from 10.0.0.1: bytes=32 time<1ms TTL=128`)
  lines.push('', 'Ping statistics for 10.0.0.1:', '    Packets: Sent = 4, Received = 4, Lost = 0 (0% loss),', '')
  return Buffer.from(lines.join('\r\n'))
}

/** Points every central-directory record of a zip at the first entry's data, as a crafted zip does. */
function overlapZip(zip) {
  const out = Buffer.from(zip)
  const eocd = out.length - 22
  let cd = out.readUInt32LE(eocd + 16)
  for (let i = 0; i < out.readUInt16LE(eocd + 10); i++) {
    out.writeUInt32LE(0, cd + 42)
    cd += 46 + out.readUInt16LE(cd + 28)
  }
  return out
}

/** A minimal ustar archive (file entries, and a symlink or FIFO entry when `type` says so). */
function tarOf(entries) {
  const blocks = []
  for (const {name, data = Buffer.alloc(0), type = '0'} of entries) {
    const h = Buffer.alloc(512)
    h.write(name.slice(0, 99), 0, 'utf8')
    h.write('0000644\0', 100)
    h.write('0000000\0', 108)
    h.write('0000000\0', 116)
    h.write(`${data.length.toString(8).padStart(11, '0')}\0`, 124)
    h.write('14410000000\0', 136)
    h.write('        ', 148)
    h.write(type, 156)
    h.write('ustar\0', 257)
    h.write('00', 263)
    let sum = 0
    for (const b of h) sum += b
    h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148)
    blocks.push(h, data, Buffer.alloc((512 - (data.length % 512)) % 512))
  }
  blocks.push(Buffer.alloc(1024))
  return Buffer.concat(blocks)
}

/** `Get-NetTCPConnection | ConvertTo-Json -Compress`: every connection on one line (over 1 MiB when n is large). */
function oneLineJson(r, n) {
  const states = ['Established', 'Bound', 'TimeWait', 'Listen', 'CloseWait']
  const objs = Array.from({length: n}, (_, i) => {
    const port = r.chance(0.02) ? 99999 : 49152 + r.int(16384)
    return `{"LocalAddress":"10.0.0.${r.int(256)}","LocalPort":${port},"RemoteAddress":"10.1.${r.int(256)}.${r.int(256)}","RemotePort":443,"State":"${r.pick(states)}","OwningProcess":${r.int(9000)},"CreationTime":"2023-03-10T14:05:${String(i % 60).padStart(2, '0')}+01:00"}`
  })
  return Buffer.from(`[${objs.join(',')}]${r.chance(0.5) ? '\r\n' : ''}`)
}

/** Rebuilds case `index` of `seed` (pure: same arguments, same case). */
function makeCase(m, corpus, seed, index) {
  const r = rngFor(seed, index)
  const texts = corpus.filter((f) => f.folder !== 'bad')
  const binaries = m.parsers.filter((p) => p.binary)
  if (binaries.length && r.chance(0.2)) {
    const parser = r.pick(binaries)
    const own = corpus.filter((f) => f.folder === parser.id)
    const fixture = own.length && r.chance(0.9) ? r.pick(own) : r.pick(corpus)
    return {index, kind: 'binary', parser: parser.id, fixture: fixture.name, bytes: mutateBinary(r, fixture.bytes)}
  }
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
  const controls = r.chance(0.15)
  const fixture = r.pick(controls ? texts : corpus)
  if (!controls && r.chance(0.04)) {
    // A one-line JSON document, possibly over the 1 MiB line cap.
    const bytes = oneLineJson(r, r.chance(0.3) ? 5000 + r.int(3000) : 1 + r.int(200))
    const cuts = Array.from({length: r.int(13)}, () => r.int(bytes.length + 1))
    return {index, kind: 'input', fixture: 'one-line-json', wrap: 'none', large: bytes.length > MAX_COMPARED, bytes, cuts, analyze: r.chance(0.1)}
  }
  const large = !controls && r.chance(0.1)
  const start = r.chance(0.7) ? 0 : r.int(fixture.bytes.length)
  const plant = r.chance(0.3) ? plantEverywhere : plantControls
  let content = controls
    ? Buffer.from(plant(r, decode(m, fixture.bytes.subarray(0, r.int(MAX_COMPARED)))))
    : mutateBytes(r, fixture.bytes.subarray(start, start + (large ? 400_000 : r.int(MAX_COMPARED))))
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
      {name: controls ? `net${r.pick(UNSAFE_BITS)}stat.txt` : r.pick(['netstat.txt', 'logs/a.txt', '../../x.txt', '/abs.txt', 'C:/w.txt']), data: content},
      {name: r.pick(['b.txt', 'inner.zip', 'logs/b.gz']), data: r.chance(0.3) ? zipOf([{name: 'n.txt', data: other}]) : other},
    ])
  } else if (w < 0.24) {
    wrap = 'zip-overlap'
    bytes = overlapZip(zipOf(Array.from({length: 2 + r.int(30)}, (_, i) => ({name: `n${i}.txt`, data: content}))))
  } else if (w < 0.32) {
    wrap = r.chance(0.5) ? 'tar' : 'tar.gz'
    const other = r.pick(corpus).bytes.subarray(0, 8192)
    const entries = [
      {name: r.pick(['netstat.txt', 'logs/a.txt', '../../x.txt', '/abs.txt']), data: content},
      {name: r.pick(['b.txt', 'inner.zip', 'logs/b.gz']), data: r.chance(0.3) ? zipOf([{name: 'n.txt', data: other}]) : other},
    ]
    if (r.chance(0.3)) entries.splice(r.int(3), 0, {name: r.pick(['link', 'pipe']), type: r.pick(['2', '6'])})
    bytes = tarOf(entries)
    if (wrap === 'tar.gz') bytes = gzipSync(bytes)
  } else if (w < 0.35 && process.platform !== 'win32') {
    // A FIFO whose writer stays open, read with --max-bytes: the read must end at the bound.
    return {index, kind: 'fifo', fixture: fixture.name, bytes: content, maxBytes: 1 + r.int(Math.max(1, content.length + 100))}
  } else if (w < 0.38 && process.platform !== 'win32') {
    // A folder: the evidence under a file name with control characters, beside a FIFO and a symlink loop.
    return {index, kind: 'folder', fixture: fixture.name, bytes: content, name: `net${r.pick(UNSAFE_BITS.filter((b) => !b.includes('/') && !b.includes('\u0000')))}stat.txt`}
  } else if (w < 0.41 && !controls) {
    // More than 64 KiB of ping output before a text fixture (as UTF-8 text, as one loop writes both): detection must look past it.
    const own = texts.filter((f) => !binaries.some((p) => p.id === f.folder))
    const text = own.length ? r.pick(own) : fixture
    const plain = Buffer.from(decode(m, text.bytes).slice(0, MAX_COMPARED))
    return {index, kind: 'noise', fixture: text.name, bytes: Buffer.concat([pingNoise(r), Buffer.from('\r\n'), plain]), content: plain}
  }
  if (wrap !== 'none' && !controls && r.chance(0.3)) bytes = mutateBytes(r, bytes)
  const cuts = Array.from({length: r.int(13)}, () => r.int(bytes.length + 1))
  return {index, kind: 'input', fixture: fixture.name, wrap, large: content.length > MAX_COMPARED, bytes, cuts, analyze: controls || r.chance(0.1), controls}
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
  if (c.kind === 'binary') {
    const parser = m.parsers.find((p) => p.id === c.parser)
    const confidence = parser.binary.detectBytes(c.bytes.subarray(0, 64 * 1024))
    if (!(confidence >= 0 && confidence <= 1)) return `detectBytes gave ${confidence}`
    const sink = new m.CollectingSink()
    await parser.binary.read(m.bufferSource(c.bytes), sink, {path: '<fuzz>'})
    const bad = sink.result.skipped.find((s) => !REASONS.has(s.reason) || !(s.line >= 1))
    if (bad) return `skip with reason '${bad.reason}' at unit ${bad.line}`
    const out = sink.result.records.find((x) => !(x.line >= 1))
    if (out) return `record with line ${out.line}`
    return null
  }
  if (c.kind === 'fifo') return checkFifo(m, c)
  if (c.kind === 'folder') return checkFolder(m, c)
  if (c.kind === 'noise') return checkNoise(m, c)
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
      const analysis = await m.runAnalysis(['-'], {...o, stdin: () => Readable.from([c.bytes])})
      if (c.controls) return outputProblem(await m.loadRenderers(), analysis, whole.inputs)
    } catch (error) {
      if (!(error instanceof m.PortleakError)) throw error
      if (error.message.includes('\n')) return `analysis error is not one line: ${JSON.stringify(error.message)}`
      // (Its message may quote input raw: commands make every message inert where they print it.)
    }
  }
  return null
}

/** Every output of an analysis with planted control characters: none raw, no forged verdict line. */
function outputProblem(r, analysis, inputs) {
  const text = r.renderAnalysis(analysis.document)
  const forged = text.split('\n').slice(1).find((l) => /^\s*(HEALTHY|EXHAUSTED|AT RISK)\b/.test(l))
  if (forged !== undefined) return `analyze prints a forged verdict line: ${JSON.stringify(forged)}`
  const redacted = r.redactAnalysis(analysis)
  const outputs = {
    analyze: text,
    inspect: r.renderInspect(inputs),
    html: r.renderHtml(analysis, {}),
    markdown: r.renderMarkdown(analysis, {}),
    'redacted html': r.renderHtml(redacted, {redacted: true}),
    'redacted markdown': r.renderMarkdown(redacted, {redacted: true}),
  }
  for (const table of Object.values(r.exportTables(analysis))) {
    // CSV records end in CRLF (the format's CR, not a value's).
    outputs[`${table.name}.csv`] = r.toCsv(table).replace(/\r\n/g, '\n')
    outputs[`${table.name}.jsonl`] = r.toJsonl(table)
  }
  for (const [name, out] of Object.entries(outputs)) {
    const at = out.search(RAW)
    if (at >= 0) return `raw control character U+${out.charCodeAt(at).toString(16).padStart(4, '0')} in ${name}: ${JSON.stringify(out.slice(Math.max(0, at - 40), at + 20))}`
  }
  return null
}

/** A FIFO case: a writer writes the bytes and stays open; `--max-bytes` must end the read at its bound. */
async function checkFifo(m, c) {
  const {execFileSync} = await import('node:child_process')
  const {open} = await import('node:fs/promises')
  const dir = mkdtempSync(join(tmpdir(), 'portleak-fuzz-fifo-'))
  const path = join(dir, 'loop.fifo')
  execFileSync('mkfifo', [path])
  const writer = open(path, 'w').then(async (fh) => {
    await fh.write(c.bytes).catch(() => null)
    return fh
  })
  try {
    const abort = new AbortController()
    // With fewer bytes than the bound the writer's silence ends only by a deadline, as --max-seconds does.
    const timer = setTimeout(() => abort.abort(), 1500)
    const doc = await m.inspectInputs([path], {maxBytes: c.maxBytes, signal: abort.signal})
    clearTimeout(timer)
    // An archive (gzip, zip, tar) read through the FIFO gives its entries as inputs of their own.
    const archive = (c.bytes[0] === 0x1f && c.bytes[1] === 0x8b) || c.bytes.subarray(0, 2).toString('latin1') === 'PK' || c.bytes.subarray(257, 262).toString('latin1') === 'ustar'
    if (doc.inputs.length !== 1 && !archive) return `FIFO gave ${doc.inputs.length} inputs`
    for (const s of doc.inputs) {
      const p = summaryProblem(s)
      if (p) return p
      if (s.path === path && s.bytes > c.maxBytes) return `FIFO read ${s.bytes} bytes past --max-bytes ${c.maxBytes}`
    }
    return null
  } finally {
    await (await writer).close()
    rmSync(dir, {recursive: true, force: true})
  }
}

/** A folder case: every input read or skipped with a one-line reason, and the inspect text shows the hostile name inert. */
async function checkFolder(m, c) {
  const {execFileSync} = await import('node:child_process')
  const {symlinkSync} = await import('node:fs')
  const dir = mkdtempSync(join(tmpdir(), 'portleak-fuzz-dir-'))
  writeFileSync(join(dir, c.name), c.bytes)
  execFileSync('mkfifo', [join(dir, 'pipe.fifo')])
  symlinkSync(join(dir, 'loop'), join(dir, 'loop'))
  const abort = new AbortController()
  const timer = setTimeout(() => abort.abort(), 5000)
  try {
    const doc = await m.inspectInputs([dir], {signal: abort.signal})
    for (const s of doc.inputs) {
      const p = summaryProblem(s)
      if (p) return p
    }
    const out = (await m.loadRenderers()).renderInspect(doc.inputs)
    const at = out.search(RAW)
    if (at >= 0) return `raw control character U+${out.charCodeAt(at).toString(16).padStart(4, '0')} in inspect: ${JSON.stringify(out.slice(Math.max(0, at - 40), at + 20))}`
    return null
  } finally {
    clearTimeout(timer)
    rmSync(dir, {recursive: true, force: true})
  }
}

/** A noise case: the evidence behind more than 64 KiB of ping output is detected as the same format as without it. */
async function checkNoise(m, c) {
  const read = async (bytes) => (await m.inspectInputs(['-'], {stdin: () => Readable.from([bytes])})).inputs[0]
  const plain = await read(c.content)
  const noisy = await read(c.bytes)
  const p = summaryProblem(noisy)
  if (p) return p
  if (plain.format !== null && noisy.format !== plain.format) return `ping output before it turns ${plain.format} into ${noisy.format ?? 'not recognised'}: ${noisy.error}`
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
  // FIFO cases wrap a fresh descriptor in a socket; a worker warns when the number comes round again
  // (Node tracks descriptors a worker wraps). That warning is not a finding: every other one is printed.
  process.removeAllListeners('warning')
  process.on('warning', (w) => {
    if (!/opened in unmanaged mode twice/.test(w.message)) process.stderr.write(`${w.name}: ${w.message}\n`)
  })
  const {seed, start, deadline, minCases, src} = workerData
  const m = await load(src)
  const corpus = loadCorpus()
  let i = start
  for (; Date.now() < deadline || i < minCases; i++) {
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
  const o = {seconds: 20, minCases: 0, seed: null, case: null, from: null, src: false, hangMs: 10_000}
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    const value = () => {
      const v = Number(argv[++i])
      if (!Number.isInteger(v) || v < 0) throw new Error(`${a} needs a non-negative integer`)
      return v
    }
    if (a === '--seconds') o.seconds = value()
    else if (a === '--min-cases') o.minCases = value()
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

const USAGE = 'usage: node scripts/fuzz.mjs [--seconds N] [--min-cases N] [--seed S] [--case I [--from F]] [--src] [--hang-ms MS]'

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
  const counts = {parser: 0, input: 0, binary: 0, fifo: 0, folder: 0, noise: 0}
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
  while (Date.now() < deadline || next < o.minCases) {
    next = await new Promise((resolve) => {
      const worker = new Worker(new URL(import.meta.url), {workerData: {seed, start: next, deadline, minCases: o.minCases, src: o.src}})
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
    `fuzz: seed ${seed}, ${sum(counts)} cases in ${secs} s (${Object.entries(counts).map(([k, n]) => `${n} ${k}`).join(', ')}), ` +
      `${failures.length} failure${failures.length === 1 ? '' : 's'}${outDir ? `, saved under ${outDir}` : ''}\n`,
  )
  return failures.length ? 1 : 0
}

function describe(c) {
  if (c.kind === 'parser') return `parser ${c.parser} on ${c.lines.length} lines from ${c.fixture}`
  if (c.kind === 'binary') return `binary reader ${c.parser} on ${c.bytes.length} bytes from ${c.fixture}`
  if (c.kind === 'fifo') return `FIFO with an open writer on ${c.bytes.length} bytes from ${c.fixture}, --max-bytes ${c.maxBytes}`
  if (c.kind === 'folder') return `folder with ${JSON.stringify(c.name)} (${c.bytes.length} bytes from ${c.fixture}), a FIFO and a symlink loop`
  if (c.kind === 'noise') return `input layer on ${c.content.length} bytes from ${c.fixture} behind ${c.bytes.length - c.content.length} bytes of ping output`
  const wrap = c.wrap !== 'none' ? ` (${c.wrap})` : ''
  const controls = c.controls ? ', control characters planted, every output checked' : ''
  return `input layer on ${c.bytes.length} bytes from ${c.fixture}${wrap} in ${c.cuts.length + 1} chunks${controls}`
}

if (isMainThread) process.exitCode = await main()
