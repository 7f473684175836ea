import type {BinaryReadOptions, ByteSource} from '../shared/binary.js'
import {fileTime, fourCC, hex32, linesAsBinary, readClamped} from '../shared/dump-bytes.js'
import {formatWallTime} from '../shared/timestamps.js'
import type {Parser, RecordSink, WallTime} from '../types.js'

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
  const lo = u32(layout.systemTime)
  const hi = u32(layout.systemTime + 4)
  const time: WallTime | null = lo !== null && hi !== null && lo !== PAGE ? fileTime(lo, hi) : null
  sink.snapshot({line: 1, stamp: time === null ? null : `${formatWallTime(time)}Z`})
  sink.snapshotTimes([time], null)

  const note = (key: string, value: string | number | null) => {
    if (value !== null) sink.note(key, String(value))
  }
  note('view', `kernel dump ${layout.bits}-bit`)
  const type = set(layout.dumpType)
  note('dumpType', type === null ? null : (DUMP_TYPES[type] ?? `type ${type}`))
  // The major field says free (0xF) or checked (0xC) build; the minor one is the build number.
  const major = set(8)
  note('osBuild', set(12))
  note('buildKind', major === 0xf ? 'free' : major === 0xc ? 'checked' : major === null ? null : `major ${major}`)
  const machine = set(layout.machine)
  note('machine', machine === null ? null : `${MACHINES[machine] ?? 'unknown'} (0x${machine.toString(16)})`)
  note('processors', set(layout.processors))
  note('systemTime', time === null ? null : `${formatWallTime(time)}Z`)
  note('bugCheck', bugCheck(head, layout))
  const bitmap = head.length >= layout.headerSize + 4 ? fourCC(head.readUInt32LE(layout.headerSize)) : null
  if (bitmap === 'SDMP' || bitmap === 'FDMP' || bitmap === 'DMP_') note('bitmapHeader', bitmap)
  note('analysis', KERNEL_DUMP_ANALYSIS)
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
export const kernelDumpParser: Parser = {
  id: 'kernel-dump',
  description: 'Kernel and complete memory dump headers (PAGEDUMP/PAGEDU64): dump type, build, machine, capture time, bug check',
  detect: () => 0,
  create: linesAsBinary,
  binary: {detectBytes: detectKernelDump, read: readKernelDump},
}
