import type {BinaryReadOptions, ByteSource} from '../shared/binary.js'
import {fileTime, fourCC, hex32, linesAsBinary, readClamped} from '../shared/dump-bytes.js'
import {formatWallTime} from '../shared/timestamps.js'
import type {RecordSink, WallTime} from '../types.js'
import {defineFormat} from '../types.js'

/**
 * Kernel and complete memory dump headers (`PAGEDUMP`, 32-bit, one 4 KiB page; `PAGEDU64`, 64-bit, two pages),
 * after the public descriptions of DUMP_HEADER32/64 (Volatility's crash dump layer, WinDbg's docs). Unset
 * fields hold the filler `PAGE`.
 */
type Layout = {
  readonly bits: 32 | 64
  readonly headerSize: number
  readonly machine: number
  readonly processors: number
  readonly bugCheck: number
  readonly params: number
  readonly paramSize: 4 | 8
  readonly dumpType: number
  readonly systemTime: number
}

const LAYOUT32: Layout = {bits: 32, headerSize: 0x1000, machine: 0x20, processors: 0x24, bugCheck: 0x28, params: 0x2c, paramSize: 4, dumpType: 0xf88, systemTime: 0xfc0}
const LAYOUT64: Layout = {bits: 64, headerSize: 0x2000, machine: 0x30, processors: 0x34, bugCheck: 0x38, params: 0x40, paramSize: 8, dumpType: 0xf98, systemTime: 0xfa8}

/** `PAGE` read as a little-endian u32: the signature, and the filler of fields the writer did not set. */
const PAGE = 0x45474150

const DUMP_TYPES: Readonly<Record<number, string>> = {
  1: 'full (complete memory dump)',
  2: 'kernel (summary)',
  3: 'header only',
  4: 'triage (small memory dump)',
  5: 'bitmap full (complete memory dump)',
  6: 'bitmap kernel (kernel memory dump)',
  7: 'automatic (kernel memory dump)',
}

const MACHINES: Readonly<Record<number, string>> = {0x14c: 'x86', 0x8664: 'x64', 0xaa64: 'ARM64', 0x1c4: 'ARM'}

/** What a full analysis of a kernel or complete dump needs; portleak reads the outputs of these commands. */
export const KERNEL_DUMP_ANALYSIS =
  'a kernel dump header names the machine, not the process: run Volatility 3 `windows.netscan`, `windows.handles` and `windows.pslist` (or WinDbg `!process 0 1` and `!handle 0 0 0 File`) on the dump and pass their text output to portleak'

/** Confidence that `head` starts a kernel or complete memory dump (`PAGEDUMP` or `PAGEDU64`). */
export function detectKernelDump(head: Buffer): number {
  if (head.length < 8) return 0
  const magic = head.toString('latin1', 0, 8)
  return magic === 'PAGEDUMP' || magic === 'PAGEDU64' ? 1 : 0
}

/**
 * Reads the dump header into notes (type, build, machine, processors, capture time, bug check) and opens one
 * snapshot at the capture time, without records: the header holds no process or socket.
 */
export async function readKernelDump(source: ByteSource, sink: RecordSink, _options: BinaryReadOptions): Promise<void> {
  const head = await readClamped(source, 0, LAYOUT64.headerSize + 8)
  const magic = head.toString('latin1', 0, Math.min(8, head.length))
  const layout = magic === 'PAGEDU64' ? LAYOUT64 : magic === 'PAGEDUMP' ? LAYOUT32 : null
  if (!layout) {
    sink.skip(1, head.length < 8 ? 'truncated' : 'malformed', 'kernel dump header: no PAGEDUMP/PAGEDU64 signature')
    return
  }
  const u32 = (at: number): number | null => (at + 4 <= head.length ? head.readUInt32LE(at) : null)
  const set = (at: number): number | null => {
    const v = u32(at)
    return v === PAGE ? null : v
  }
  if (head.length < layout.headerSize) sink.skip(1, 'truncated', `kernel dump header: ${head.length} of ${layout.headerSize} bytes`)
  // The major field says free (0xF) or checked (0xC) build; the minor one is the build number.
  const major = set(8)
  const build = set(12)
  const type = set(layout.dumpType)
  const machine = set(layout.machine)
  const processors = set(layout.processors)
  const lo = u32(layout.systemTime)
  const hi = u32(layout.systemTime + 4)
  let time: WallTime | null = lo !== null && hi !== null && lo !== PAGE ? fileTime(lo, hi) : null
  // A damaged header (or bytes that only start like one) would print random numbers as facts: what a
  // writer never sets is left out, and said once.
  const odd = implausible({major, build, type, machine, processors})
  if (odd.length > 0) {
    sink.skip(1, 'malformed', `kernel dump header: implausible ${odd.map(([k, v]) => `${k} ${v}`).join(', ')}: damaged, or not a dump header; left out`)
  }
  const bad = new Set(odd.map(([k]) => k))
  // Most fields implausible: the rest (time, bug check) is no more to be trusted.
  const junk = bad.size >= 3
  if (junk) time = null
  sink.snapshot({line: 1, stamp: time === null ? null : `${formatWallTime(time)}Z`})
  sink.snapshotTimes([time], null)

  const note = (key: string, value: string | number | null) => {
    if (value !== null) sink.note(key, String(value))
  }
  note('view', `kernel dump ${layout.bits}-bit`)
  if (!bad.has('dump type')) note('dumpType', type === null ? null : DUMP_TYPES[type]!)
  if (!bad.has('build')) note('osBuild', build)
  if (!bad.has('major version')) note('buildKind', major === 0xf ? 'free' : major === 0xc ? 'checked' : null)
  if (!bad.has('machine')) note('machine', machine === null ? null : `${MACHINES[machine]} (0x${machine.toString(16)})`)
  if (!bad.has('processors')) note('processors', processors)
  note('systemTime', time === null ? null : `${formatWallTime(time)}Z`)
  if (!junk) note('bugCheck', bugCheck(head, layout))
  const bitmap = head.length >= layout.headerSize + 4 ? fourCC(head.readUInt32LE(layout.headerSize)) : null
  if (bitmap === 'SDMP' || bitmap === 'FDMP' || bitmap === 'DMP_') note('bitmapHeader', bitmap)
  note('analysis', KERNEL_DUMP_ANALYSIS)
}

/** Windows builds from NT 4.0 (1381) on; processors up to 2,048 (Windows Server's limit). The time is checked by `fileTime`. */
const PLAUSIBLE_BUILDS = [1381, 99_999] as const
const MAX_PROCESSORS = 2048

/** The header fields whose values no Windows dump writer sets, each with its value as read. */
function implausible(h: {major: number | null; build: number | null; type: number | null; machine: number | null; processors: number | null}): [string, string][] {
  const out: [string, string][] = []
  const hex = (v: number) => `0x${v.toString(16)}`
  if (h.major !== null && h.major !== 0xf && h.major !== 0xc) out.push(['major version', hex(h.major)])
  if (h.build !== null && (h.build < PLAUSIBLE_BUILDS[0] || h.build > PLAUSIBLE_BUILDS[1])) out.push(['build', String(h.build)])
  if (h.type !== null && DUMP_TYPES[h.type] === undefined) out.push(['dump type', String(h.type)])
  if (h.machine !== null && MACHINES[h.machine] === undefined) out.push(['machine', hex(h.machine)])
  if (h.processors !== null && (h.processors < 1 || h.processors > MAX_PROCESSORS)) out.push(['processors', String(h.processors)])
  return out
}

/**
 * `0x0000000a (0x…, 0x…, 0x…, 0x…)`, or a note that a memory-acquisition tool wrote its own marks there
 * (DumpIt writes `MATT` and `MOONSOLS`): then the dump is a live capture, not a crash.
 */
function bugCheck(head: Buffer, l: Layout): string | null {
  if (l.params + 4 * l.paramSize > head.length) return null
  const code = head.readUInt32LE(l.bugCheck)
  const words: number[] = [code]
  const params: string[] = []
  for (let i = 0; i < 4; i++) {
    const at = l.params + i * l.paramSize
    words.push(head.readUInt32LE(at))
    if (l.paramSize === 8) words.push(head.readUInt32LE(at + 4))
    params.push(`0x${(l.paramSize === 8 ? head.readBigUInt64LE(at) : BigInt(head.readUInt32LE(at))).toString(16)}`)
  }
  // Real stop codes are never four letters (parameters may be: pool tags), so the code decides.
  const marks = words.map(fourCC).filter((m): m is string => m !== null && m !== 'PAGE')
  if (fourCC(code) !== null && code !== PAGE) return `not a crash: the bug-check fields hold text (${[...new Set(marks)].join(', ')}), the marks a memory-acquisition tool (DumpIt) writes on a live capture`
  return `${hex32(code)} (${params.join(', ')})`
}

/** Kernel and complete memory dumps (`MEMORY.DMP`, DumpIt captures): the header's facts, and what to run on it. */
export const kernelDumpParser = defineFormat({
  id: 'kernel-dump',
  title: 'kernel or complete memory dump header',
  version: '1.0',
  description: 'Kernel and complete memory dump headers (PAGEDUMP/PAGEDU64): dump type, build, machine, capture time, bug check',
  commands: [
    'C:\\Windows\\MEMORY.DMP (Startup and Recovery: kernel or complete memory dump)',
    'DumpIt.exe',
  ],
  records: [],
  samples: [
    {name: 'complete dump, 32-bit', file: 'corpus/kernel-dump/built-complete-32.dmp'},
    {name: 'kernel summary dump, 64-bit', file: 'corpus/kernel-dump/built-kernel-summary-64.dmp'},
  ],
  detect: () => 0,
  create: linesAsBinary,
  binary: {detectBytes: detectKernelDump, read: readKernelDump},
})
