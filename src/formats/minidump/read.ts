import type {ByteSource} from '../shared/binary.js'
import {hex32, ReadAhead, readClamped, unixTime, utf16} from '../shared/dump-bytes.js'
import type {SkipReason, WallTime} from '../types.js'
import {
  ARCHITECTURES,
  flagNames,
  DIRECTORY_ENTRY_SIZE,
  HANDLE_HEADER_SIZE,
  HEADER_SIZE,
  MAX_CACHED_STRINGS,
  MAX_HANDLES,
  MAX_STREAMS,
  MAX_STRING_BYTES,
  MISC1_BUILDSTRING,
  MISC1_PROCESS_ID,
  MISC1_PROCESS_TIMES,
  MISC_BUILDSTRING_BYTES,
  MISC_BUILDSTRING_OFFSET,
  MODULE_SIZE,
  SIGNATURE,
  STREAM,
  SYSTEM_INFO_SIZE,
  THREAD_EX_SIZE,
  THREAD_SIZE,
  VERSION,
} from './format.js'

/** A stream as the directory lists it: 1-based position (the unit `skip` names), type, location. */
export type StreamEntry = {readonly ordinal: number; readonly type: number; readonly size: number; readonly rva: number}

export type SystemInfo = {
  major: number
  minor: number
  build: number
  arch: string
  processors: number
  csd: string | null
}

export type MiscInfo = {size: number; pid: number | null; created: WallTime | null; buildString: string | null}

/** The handle stream's header, once checked: descriptors to read, and where. */
export type HandleTable = {
  readonly ordinal: number
  readonly declared: number
  readonly count: number
  readonly descriptorSize: number
  readonly first: number
}

/** What a minidump says about its process, short of the handles (read after, one at a time). */
export type MinidumpFacts = {
  version: number
  flags: string
  flagsLow: number
  time: WallTime | null
  streams: StreamEntry[]
  system: SystemInfo | null
  misc: MiscInfo | null
  image: string | null
  modules: number | null
  threads: number | null
  handles: HandleTable | null
}

export type Problem = (ordinal: number, reason: SkipReason, text: string) => void

/** One handle: its 1-based position in the stream, type name and object name ('' when absent). */
export type HandleVisit = (ordinal: number, type: string, name: string) => void

/** Bytes read with a string's length, so that most strings cost one read. */
const SHORT_STRING = 256
/** Strings longer than this are not cached (type names and most object names are far shorter). */
const MAX_CACHED_LENGTH = 512
const STRING_BUDGET_SLACK = 1 << 20

const u32 = (b: Buffer, at: number): number => (at + 4 <= b.length ? b.readUInt32LE(at) : 0)
const u16 = (b: Buffer, at: number): number => (at + 2 <= b.length ? b.readUInt16LE(at) : 0)

/**
 * Reads a minidump's header, stream directory and the streams about the process (system, misc, modules,
 * threads, the handle stream's header). Everything the file states is checked against the file's size before
 * use; a stream that cannot be read is reported through `problem` and left out. Returns null when the input
 * is no minidump (reported too).
 */
export class MinidumpReader {
  private readonly strings = new Map<number, string>()
  /**
   * String bytes left to read. Strings of a sound dump do not overlap, so together they are smaller than the
   * file; descriptors pointing into one another's long strings would otherwise cost the square of the file.
   */
  private stringBudget: number
  /** Strings were left unread because the budget ran out. */
  overBudget = false
  /** Strings are read through a window: a dump writes them one after another. */
  private readonly names: ReadAhead

  constructor(
    private readonly source: ByteSource,
    private readonly problem: Problem,
  ) {
    this.stringBudget = source.size + STRING_BUDGET_SLACK
    this.names = new ReadAhead(source, 4 * source.size + STRING_BUDGET_SLACK)
  }

  private read(offset: number, length: number): Promise<Buffer> {
    return readClamped(this.source, offset, length)
  }

  async facts(): Promise<MinidumpFacts | null> {
    const head = await this.read(0, HEADER_SIZE)
    if (head.length < HEADER_SIZE || u32(head, 0) !== SIGNATURE) {
      this.problem(1, head.length < HEADER_SIZE ? 'truncated' : 'malformed', `minidump header: ${head.length < HEADER_SIZE ? `only ${head.length} bytes` : 'no MDMP signature'}`)
      return null
    }
    const version = u32(head, 4)
    if ((version & 0xffff) !== VERSION) this.problem(1, 'malformed', `minidump header: version ${hex32(version)}, expected 0x....a793 (read anyway)`)
    const flagsLow = u32(head, 24)
    const facts: MinidumpFacts = {
      version,
      flags: flagNames(flagsLow, u32(head, 28)),
      flagsLow,
      time: unixTime(u32(head, 20)),
      streams: await this.directory(u32(head, 8), u32(head, 12)),
      system: null,
      misc: null,
      image: null,
      modules: null,
      threads: null,
      handles: null,
    }
    // The first stream of each type is read; a garbage directory's other entries are none of this reader's business.
    const first = (type: number) => {
      const e = facts.streams.find((s) => s.type === type)
      if (e && e.rva + e.size > this.source.size) this.problem(e.ordinal, 'truncated', `stream ${type}: ${e.size} bytes at ${hex32(e.rva)} run past the end of the file`)
      return e
    }
    const system = first(STREAM.SystemInfo)
    if (system) facts.system = await this.systemInfo(system)
    const misc = first(STREAM.MiscInfo)
    if (misc) facts.misc = await this.miscInfo(misc)
    const modules = first(STREAM.ModuleList)
    if (modules) await this.moduleList(modules, facts)
    const threads = first(STREAM.ThreadList) ?? first(STREAM.ThreadExList)
    if (threads) facts.threads = await this.threadCount(threads)
    const handles = first(STREAM.HandleData)
    if (handles) facts.handles = await this.handleTable(handles)
    return facts
  }

  /** The directory's entries with a readable location; unused (type 0) entries dropped. */
  private async directory(count: number, rva: number): Promise<StreamEntry[]> {
    const fit = Math.floor(Math.max(0, this.source.size - rva) / DIRECTORY_ENTRY_SIZE)
    const n = Math.min(count, fit, MAX_STREAMS)
    if (n < count) this.problem(1, 'truncated', `stream directory: ${count} streams declared at ${hex32(rva)}, ${n} readable`)
    const buf = await this.read(rva, n * DIRECTORY_ENTRY_SIZE)
    const out: StreamEntry[] = []
    for (let i = 0; i < n; i++) {
      const at = i * DIRECTORY_ENTRY_SIZE
      const type = u32(buf, at)
      if (type === 0) continue
      out.push({ordinal: i + 1, type, size: u32(buf, at + 4), rva: u32(buf, at + 8)})
    }
    return out
  }

  /** A stream's bytes, at most `max` (clamped to the file). */
  private stream(e: StreamEntry, max: number): Promise<Buffer> {
    return this.read(e.rva, Math.min(e.size, max))
  }

  private async systemInfo(e: StreamEntry): Promise<SystemInfo | null> {
    const b = await this.stream(e, SYSTEM_INFO_SIZE)
    if (b.length < 24) {
      this.problem(e.ordinal, 'truncated', `SystemInfo stream: ${b.length} of ${SYSTEM_INFO_SIZE} bytes`)
      return null
    }
    const arch = u16(b, 0)
    const csdRva = u32(b, 24)
    const csd = csdRva > 0 ? await this.string(csdRva) : null
    return {major: u32(b, 8), minor: u32(b, 12), build: u32(b, 16), arch: ARCHITECTURES[arch] ?? `architecture ${arch}`, processors: b[6]!, csd: csd || null}
  }

  private async miscInfo(e: StreamEntry): Promise<MiscInfo | null> {
    const b = await this.stream(e, MISC_BUILDSTRING_OFFSET + MISC_BUILDSTRING_BYTES)
    const size = u32(b, 0)
    if (b.length < 16) {
      this.problem(e.ordinal, 'truncated', `MiscInfo stream: ${b.length} bytes`)
      return null
    }
    const flags = u32(b, 4)
    const buildEnd = MISC_BUILDSTRING_OFFSET + MISC_BUILDSTRING_BYTES
    return {
      size,
      pid: flags & MISC1_PROCESS_ID ? u32(b, 8) : null,
      created: flags & MISC1_PROCESS_TIMES ? unixTime(u32(b, 12)) : null,
      buildString: flags & MISC1_BUILDSTRING && b.length >= buildEnd ? utf16(b, MISC_BUILDSTRING_OFFSET, buildEnd) || null : null,
    }
  }

  /** The module count, and the first module's name: the main image, whose file name is the process name. */
  private async moduleList(e: StreamEntry, facts: MinidumpFacts): Promise<void> {
    const b = await this.stream(e, 4 + MODULE_SIZE)
    if (b.length < 4) {
      this.problem(e.ordinal, 'truncated', `ModuleList stream: ${b.length} bytes`)
      return
    }
    const declared = u32(b, 0)
    facts.modules = Math.min(declared, Math.floor(Math.max(0, Math.min(e.size, this.source.size - e.rva) - 4) / MODULE_SIZE))
    if (facts.modules < declared) this.problem(e.ordinal, 'truncated', `ModuleList stream: ${declared} modules declared, ${facts.modules} fit`)
    if (facts.modules === 0) return
    const nameRva = u32(b, 4 + 20)
    facts.image = (await this.string(nameRva)) || null
  }

  private async threadCount(e: StreamEntry): Promise<number | null> {
    const b = await this.stream(e, 4)
    if (b.length < 4) {
      this.problem(e.ordinal, 'truncated', `thread list stream: ${b.length} bytes`)
      return null
    }
    const declared = u32(b, 0)
    const size = e.type === STREAM.ThreadExList ? THREAD_EX_SIZE : THREAD_SIZE
    const fit = Math.floor(Math.max(0, Math.min(e.size, this.source.size - e.rva) - 4) / size)
    if (fit < declared) this.problem(e.ordinal, 'truncated', `thread list stream: ${declared} threads declared, ${fit} fit`)
    return Math.min(declared, fit)
  }

  /** The handle stream's header: descriptor size and how many descriptors the stream and the file hold. */
  private async handleTable(e: StreamEntry): Promise<HandleTable | null> {
    const b = await this.stream(e, HANDLE_HEADER_SIZE)
    if (b.length < 12) {
      this.problem(e.ordinal, 'truncated', `HandleData stream: header of ${b.length} bytes`)
      return null
    }
    const headerSize = u32(b, 0)
    const descriptorSize = u32(b, 4)
    const declared = u32(b, 8)
    if (headerSize < 12 || headerSize > e.size || descriptorSize < 16 || descriptorSize > 4096) {
      this.problem(e.ordinal, 'malformed', `HandleData stream: header size ${headerSize}, descriptor size ${descriptorSize}`)
      return null
    }
    const room = Math.max(0, Math.min(e.size, this.source.size - e.rva) - headerSize)
    const count = Math.min(declared, Math.floor(room / descriptorSize), MAX_HANDLES)
    if (count < declared) this.problem(e.ordinal, 'truncated', `HandleData stream: ${declared} handles declared, ${count} readable`)
    return {ordinal: e.ordinal, declared, count, descriptorSize, first: e.rva + headerSize}
  }

  /**
   * Visits every readable handle descriptor in order (type name, object name), without keeping them.
   * Stops early when `signal` aborts.
   */
  async handles(t: HandleTable, visit: HandleVisit, signal?: AbortSignal): Promise<void> {
    const batch = Math.max(1, Math.floor(64 * 1024 / t.descriptorSize))
    for (let i = 0; i < t.count; i += batch) {
      if (signal?.aborted) return
      const n = Math.min(batch, t.count - i)
      const b = await this.read(t.first + i * t.descriptorSize, n * t.descriptorSize)
      for (let k = 0; k < n && (k + 1) * t.descriptorSize <= b.length; k++) {
        const at = k * t.descriptorSize
        const typeRva = u32(b, at + 8)
        const nameRva = u32(b, at + 12)
        visit(i + k + 1, typeRva ? await this.cachedString(typeRva) : '', nameRva ? await this.cachedString(nameRva) : '')
      }
    }
    if (this.overBudget) this.problem(t.ordinal, 'malformed', 'HandleData stream: its names overlap past the size of the file; the rest were read without names')
  }

  private async cachedString(rva: number): Promise<string> {
    const hit = this.strings.get(rva)
    if (hit !== undefined) return hit
    const s = await this.string(rva)
    if (this.strings.size < MAX_CACHED_STRINGS && s.length <= MAX_CACHED_LENGTH) this.strings.set(rva, s)
    return s
  }

  /** A MINIDUMP_STRING (u32 length in bytes, then UTF-16LE) at `rva`; '' when it is out of the file. One read when short. */
  private async string(rva: number): Promise<string> {
    if (this.stringBudget <= 0) {
      this.overBudget = true
      return ''
    }
    const first = await this.names.read(rva, 4 + SHORT_STRING)
    const len = Math.min(u32(first, 0), MAX_STRING_BYTES)
    this.stringBudget -= 4 + Math.min(len, Math.max(0, this.source.size - rva - 4))
    if (len <= first.length - 4) return utf16(first, 4, 4 + len)
    const bytes = await this.names.read(rva + 4, len)
    return utf16(bytes, 0, bytes.length)
  }
}
