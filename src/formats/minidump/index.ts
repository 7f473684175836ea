import type {BinaryReadOptions, ByteSource} from '../shared/binary.js'
import {linesAsBinary} from '../shared/dump-bytes.js'
import {isAfdName} from '../shared/dump-common.js'
import {formatWallTime} from '../shared/timestamps.js'
import type {HandleRecord, Parser, ProcessRecord, RecordSink} from '../types.js'
import {SIGNATURE, VERSION} from './format.js'
import {type MinidumpFacts, MinidumpReader} from './read.js'

/** What to tell an engineer whose dump has no handle stream. */
export const NO_HANDLE_STREAM =
  'absent: the dump lists no handles; write one with a handle stream (`procdump -ma <pid>` or `procdump -mh <pid>`) to count sockets (\\Device\\Afd)'

/** Confidence that `head` starts a minidump: the `MDMP` signature, and its version's fixed low half. */
export function detectMinidump(head: Buffer): number {
  if (head.length < 4 || head.readUInt32LE(0) !== SIGNATURE) return 0
  if (head.length < 8) return 0.8
  return (head.readUInt32LE(4) & 0xffff) === VERSION ? 1 : 0.8
}

/**
 * Reads a process minidump as one handle listing of one process at the dump's time: a snapshot holding the
 * process (PID, image name, threads, creation time) and a record per handle (type, object name, socket or
 * not), with the dump's facts as notes. Memory contents are never read.
 */
export async function readMinidump(source: ByteSource, sink: RecordSink, options: BinaryReadOptions): Promise<void> {
  const reader = new MinidumpReader(source, (ordinal, reason, text) => sink.skip(ordinal, reason, text))
  const facts = await reader.facts()
  if (!facts) return
  const pid = facts.misc?.pid ?? -1
  const name = facts.image ? baseName(facts.image) : null
  sink.snapshot({line: 1, stamp: facts.time === null ? null : `${formatWallTime(facts.time)}Z`})
  const proc: ProcessRecord = {pid, name, ppid: null, handles: null, threads: facts.threads, created: facts.misc?.created ?? null, exited: null, line: 1}
  sink.process(proc)
  const byType = new Map<string, number>()
  let afd = 0
  let read = 0
  if (facts.handles) {
    const rec: HandleRecord = {pid, process: name, type: '', name: '', afd: false, line: 0}
    await reader.handles(
      facts.handles,
      (ordinal, type, objectName) => {
        rec.type = type
        rec.name = objectName
        rec.afd = (type === 'File' || type === '') && isAfdName(objectName)
        rec.line = ordinal
        read++
        if (rec.afd) afd++
        byType.set(type, (byType.get(type) ?? 0) + 1)
        sink.handle(rec)
      },
      options.signal,
    )
  }
  sink.snapshotTimes([facts.time], null)
  notes(sink, facts, {read, afd, byType})
}

function notes(sink: RecordSink, f: MinidumpFacts, h: {read: number; afd: number; byType: Map<string, number>}): void {
  const note = (key: string, value: string | number | null) => {
    if (value !== null) sink.note(key, String(value))
  }
  note('view', 'minidump')
  note('dumpTime', f.time === null ? null : `${formatWallTime(f.time)}Z`)
  note('dumpFlags', f.flags)
  note('streams', f.streams.length)
  if (f.system) {
    const s = f.system
    note('os', `Windows ${s.major}.${s.minor}.${s.build} ${s.arch}${s.csd ? ` ${s.csd}` : ''}`)
    note('osBuild', s.build)
    note('processors', s.processors)
  }
  note('osBuildString', f.misc?.buildString ?? null)
  note('pid', f.misc?.pid ?? null)
  note('processCreated', f.misc?.created == null ? null : `${formatWallTime(f.misc.created)}Z`)
  note('image', f.image)
  note('modules', f.modules)
  note('threads', f.threads)
  if (!f.handles) {
    note('handleStream', NO_HANDLE_STREAM)
    return
  }
  const t = f.handles
  const size = t.descriptorSize === 40 ? 'MINIDUMP_HANDLE_DESCRIPTOR_2' : t.descriptorSize === 32 ? 'MINIDUMP_HANDLE_DESCRIPTOR' : `${t.descriptorSize}-byte descriptors`
  const announced = (f.flagsLow & 0x4) !== 0 ? '' : '; the header flags do not announce it'
  note('handleStream', `present: ${h.read} of ${t.declared} handles read (${size})${announced}`)
  note('handles', h.read)
  note('afdHandles', h.afd)
  note('handleTypes', typeCounts(h.byType))
}

/** `Section 31, Event 18, …, (no type name) 46`: most first, then by name. */
function typeCounts(byType: Map<string, number>): string {
  return [...byType]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map(([type, n]) => `${type || '(no type name)'} ${n}`)
    .join(', ')
}

/** `C:\src\crashpad\tiny.exe` → `tiny.exe` (either separator). */
export function baseName(path: string): string {
  const i = Math.max(path.lastIndexOf('\\'), path.lastIndexOf('/'))
  return path.slice(i + 1) || path
}

/** Process minidumps (`MDMP`: procdump, Task Manager, WER, crashpad): the process, its threads and handles. */
export const minidumpParser: Parser = {
  id: 'minidump',
  description: 'Process minidumps (.dmp, MDMP: procdump, Task Manager, WER): image, PID, threads, handles by type, sockets',
  detect: () => 0,
  create: linesAsBinary,
  binary: {detectBytes: detectMinidump, read: readMinidump},
}
