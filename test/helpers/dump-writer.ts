/**
 * Writes BUILT minidumps and kernel dump headers for tests, from the documented structures (minidumpapiset.h:
 * MINIDUMP_HEADER, MINIDUMP_DIRECTORY, MINIDUMP_SYSTEM_INFO, MINIDUMP_MISC_INFO, MINIDUMP_MODULE_LIST,
 * MINIDUMP_THREAD_LIST, MINIDUMP_HANDLE_DATA_STREAM with MINIDUMP_HANDLE_DESCRIPTOR or _2; DUMP_HEADER32/64).
 * No memory, contexts or stacks: only what the readers look at. Every file these write is built, not captured.
 */

export type BuiltHandle = {readonly type?: string | null; readonly name?: string | null}

export type MinidumpSpec = {
  /** MINIDUMP_HEADER.TimeDateStamp, seconds since 1970. */
  readonly time?: number
  readonly flags?: number
  readonly pid?: number
  /** Process creation time, seconds since 1970. */
  readonly created?: number
  readonly image?: string
  readonly modules?: number
  readonly threads?: number
  readonly os?: {readonly major: number; readonly minor: number; readonly build: number; readonly arch?: number; readonly csd?: string}
  /** null: no handle stream. */
  readonly handles?: readonly BuiltHandle[] | null
  readonly descriptorSize?: 32 | 40
  /** Streams left out of the directory. */
  readonly omit?: readonly ('system' | 'misc' | 'modules' | 'threads')[]
}

/** Where the built file's parts are, for tests that damage them. */
export type BuiltMinidump = {
  readonly bytes: Buffer
  readonly directory: number
  readonly streams: Readonly<Record<string, {readonly ordinal: number; readonly rva: number; readonly size: number}>>
}

const STREAM_TYPES = {threads: 3, modules: 4, system: 7, handles: 12, misc: 15} as const

/** Appends parts and hands out their RVAs; equal strings are written once. */
class Layout {
  readonly parts: Buffer[] = []
  size = 0
  private readonly strings = new Map<string, number>()

  add(b: Buffer): number {
    const rva = this.size
    this.parts.push(b)
    this.size += b.length
    return rva
  }

  /** A MINIDUMP_STRING: u32 length in bytes (no terminator), UTF-16LE, a NUL terminator. */
  string(s: string): number {
    const had = this.strings.get(s)
    if (had !== undefined) return had
    const text = Buffer.from(s, 'utf16le')
    const b = Buffer.alloc(4 + text.length + 2)
    b.writeUInt32LE(text.length, 0)
    text.copy(b, 4)
    const rva = this.add(b)
    this.strings.set(s, rva)
    return rva
  }
}

/** A BUILT minidump of one process. */
export function buildMinidump(spec: MinidumpSpec = {}): BuiltMinidump {
  const omit = new Set(spec.omit ?? [])
  const kinds = (['system', 'misc', 'modules', 'threads'] as const).filter((k) => !omit.has(k))
  const withHandles = spec.handles !== null
  const streamKinds: (keyof typeof STREAM_TYPES)[] = [...kinds, ...(withHandles ? (['handles'] as const) : [])]
  const l = new Layout()
  const header = Buffer.alloc(32)
  l.add(header)
  const directory = l.add(Buffer.alloc(12 * streamKinds.length))
  const streams: Record<string, {ordinal: number; rva: number; size: number}> = {}
  streamKinds.forEach((kind, i) => {
    const body = streamBody(kind, spec, l)
    const rva = l.add(body)
    streams[kind] = {ordinal: i + 1, rva, size: body.length}
  })
  const bytes = Buffer.concat(l.parts)
  bytes.writeUInt32LE(0x504d444d, 0)
  bytes.writeUInt32LE(0xa793, 4)
  bytes.writeUInt32LE(streamKinds.length, 8)
  bytes.writeUInt32LE(directory, 12)
  bytes.writeUInt32LE(spec.time ?? 1_767_225_600, 20)
  bytes.writeUInt32LE(spec.flags ?? (withHandles ? 0x4 : 0), 24)
  streamKinds.forEach((kind, i) => {
    const s = streams[kind]!
    bytes.writeUInt32LE(STREAM_TYPES[kind], directory + 12 * i)
    bytes.writeUInt32LE(s.size, directory + 12 * i + 4)
    bytes.writeUInt32LE(s.rva, directory + 12 * i + 8)
  })
  return {bytes, directory, streams}
}

function streamBody(kind: keyof typeof STREAM_TYPES, spec: MinidumpSpec, l: Layout): Buffer {
  switch (kind) {
    case 'system': {
      const os = spec.os ?? {major: 10, minor: 0, build: 20348}
      const b = Buffer.alloc(56)
      b.writeUInt16LE(os.arch ?? 9, 0)
      b[6] = 4
      b[7] = 3
      b.writeUInt32LE(os.major, 8)
      b.writeUInt32LE(os.minor, 12)
      b.writeUInt32LE(os.build, 16)
      b.writeUInt32LE(2, 20)
      b.writeUInt32LE(l.string(os.csd ?? ''), 24)
      return b
    }
    case 'misc': {
      const b = Buffer.alloc(24)
      b.writeUInt32LE(24, 0)
      b.writeUInt32LE(0x3, 4)
      b.writeUInt32LE(spec.pid ?? 4242, 8)
      b.writeUInt32LE(spec.created ?? 1_767_222_000, 12)
      return b
    }
    case 'modules': {
      const n = spec.modules ?? 3
      const b = Buffer.alloc(4 + 108 * n)
      b.writeUInt32LE(n, 0)
      for (let i = 0; i < n; i++) {
        b.writeUInt32LE(0x400000 + i * 0x100000, 4 + 108 * i)
        const name = i === 0 ? (spec.image ?? 'C:\\Program Files\\Leaky\\LeakyAgent.exe') : `C:\\Windows\\System32\\mod${i}.dll`
        b.writeUInt32LE(l.string(name), 4 + 108 * i + 20)
      }
      return b
    }
    case 'threads': {
      const n = spec.threads ?? 5
      const b = Buffer.alloc(4 + 48 * n)
      b.writeUInt32LE(n, 0)
      for (let i = 0; i < n; i++) b.writeUInt32LE(1000 + 4 * i, 4 + 48 * i)
      return b
    }
    case 'handles': {
      const handles = spec.handles ?? []
      const size = spec.descriptorSize ?? 40
      const b = Buffer.alloc(16 + size * handles.length)
      b.writeUInt32LE(16, 0)
      b.writeUInt32LE(size, 4)
      b.writeUInt32LE(handles.length, 8)
      handles.forEach((h, i) => {
        const at = 16 + size * i
        b.writeUInt32LE(4 * (i + 1), at)
        b.writeUInt32LE(h.type ? l.string(h.type) : 0, at + 8)
        b.writeUInt32LE(h.name ? l.string(h.name) : 0, at + 12)
        b.writeUInt32LE(0x1f01ff, at + 20)
        b.writeUInt32LE(1, at + 24)
        b.writeUInt32LE(2, at + 28)
      })
      return b
    }
  }
}

export type KernelHeaderSpec = {
  readonly bits: 32 | 64
  readonly build?: number
  readonly dumpType?: number
  readonly machine?: number
  readonly processors?: number
  /** Capture or crash time, ms since 1970 (UTC). */
  readonly time?: number
  readonly bugCheck?: number
  readonly params?: readonly bigint[]
  /** Written at the end of the header page(s): `SDMP`/`FDMP` for bitmap dumps. */
  readonly bitmap?: string
}

/** A BUILT kernel dump header (`PAGEDUMP`: one page, `PAGEDU64`: two), unset fields filled with `PAGE`, plus a page of body. */
export function buildKernelHeader(spec: KernelHeaderSpec): Buffer {
  const is64 = spec.bits === 64
  const size = is64 ? 0x2000 : 0x1000
  const b = Buffer.alloc(size + 0x1000)
  for (let i = 0; i < size; i += 4) b.write('PAGE', i, 'latin1')
  b.write(is64 ? 'PAGEDU64' : 'PAGEDUMP', 0, 'latin1')
  b.writeUInt32LE(0xf, 8)
  b.writeUInt32LE(spec.build ?? 20348, 12)
  b.writeUInt32LE(spec.machine ?? (is64 ? 0x8664 : 0x14c), is64 ? 0x30 : 0x20)
  b.writeUInt32LE(spec.processors ?? 8, is64 ? 0x34 : 0x24)
  b.writeUInt32LE(spec.bugCheck ?? 0x133, is64 ? 0x38 : 0x28)
  const params = spec.params ?? [1n, 0x1e00n, 0xfffff80312345678n, 0n]
  params.forEach((p, i) => {
    if (is64) b.writeBigUInt64LE(p, 0x40 + 8 * i)
    else b.writeUInt32LE(Number(p & 0xffffffffn), 0x2c + 4 * i)
  })
  b.writeUInt32LE(spec.dumpType ?? 2, is64 ? 0xf98 : 0xf88)
  if (spec.time !== undefined) b.writeBigUInt64LE((BigInt(spec.time) + 11_644_473_600_000n) * 10_000n, is64 ? 0xfa8 : 0xfc0)
  if (spec.bitmap) b.write(spec.bitmap, size, 'latin1')
  return b
}
