import {hex32} from '../shared/dump-bytes.js'

/**
 * Minidump (`MDMP`) layout facts, from Microsoft's public minidumpapiset.h documentation (MINIDUMP_HEADER,
 * MINIDUMP_DIRECTORY, MINIDUMP_SYSTEM_INFO, MINIDUMP_MISC_INFO_N, MINIDUMP_MODULE, MINIDUMP_HANDLE_DATA_STREAM,
 * MINIDUMP_HANDLE_DESCRIPTOR and _2). All fields little-endian; RVAs are byte offsets from the file's start.
 */

/** `MDMP` read as a little-endian u32. */
export const SIGNATURE = 0x504d444d
/** The low 16 bits of MINIDUMP_HEADER.Version (the high 16 are the writer's own). */
export const VERSION = 0xa793
export const HEADER_SIZE = 32
export const DIRECTORY_ENTRY_SIZE = 12

export const STREAM = {
  ThreadList: 3,
  ModuleList: 4,
  SystemInfo: 7,
  ThreadExList: 8,
  HandleData: 12,
  MiscInfo: 15,
} as const

export const THREAD_SIZE = 48
export const THREAD_EX_SIZE = 64
export const MODULE_SIZE = 108
export const SYSTEM_INFO_SIZE = 56
/** MINIDUMP_HANDLE_DESCRIPTOR and MINIDUMP_HANDLE_DESCRIPTOR_2. */
export const HANDLE_DESCRIPTOR_SIZES: readonly number[] = [32, 40]
export const HANDLE_HEADER_SIZE = 16

/** MINIDUMP_MISC_INFO Flags1 bits this reader uses. */
export const MISC1_PROCESS_ID = 0x1
export const MISC1_PROCESS_TIMES = 0x2
export const MISC1_BUILDSTRING = 0x100
/** Sizes of MINIDUMP_MISC_INFO, _2, _3, _4, _5 (the BuildString of _4 starts at 232, 260 WCHARs). */
export const MISC_INFO_SIZES: readonly number[] = [24, 44, 232, 832, 1364]
export const MISC_BUILDSTRING_OFFSET = 232
export const MISC_BUILDSTRING_BYTES = 520

/** MINIDUMP_TYPE bits (MINIDUMP_HEADER.Flags), by name. */
export const DUMP_FLAGS: readonly (readonly [number, string])[] = [
  [0x1, 'WithDataSegs'],
  [0x2, 'WithFullMemory'],
  [0x4, 'WithHandleData'],
  [0x8, 'FilterMemory'],
  [0x10, 'ScanMemory'],
  [0x20, 'WithUnloadedModules'],
  [0x40, 'WithIndirectlyReferencedMemory'],
  [0x80, 'FilterModulePaths'],
  [0x100, 'WithProcessThreadData'],
  [0x200, 'WithPrivateReadWriteMemory'],
  [0x400, 'WithoutOptionalData'],
  [0x800, 'WithFullMemoryInfo'],
  [0x1000, 'WithThreadInfo'],
  [0x2000, 'WithCodeSegs'],
  [0x4000, 'WithoutAuxiliaryState'],
  [0x8000, 'WithFullAuxiliaryState'],
  [0x10000, 'WithPrivateWriteCopyMemory'],
  [0x20000, 'IgnoreInaccessibleMemory'],
  [0x40000, 'WithTokenInformation'],
  [0x80000, 'WithModuleHeaders'],
  [0x100000, 'FilterTriage'],
  [0x200000, 'WithAvxXStateContext'],
  [0x400000, 'WithIptTrace'],
  [0x800000, 'ScanInaccessiblePartialPages'],
]

/** MINIDUMP_SYSTEM_INFO.ProcessorArchitecture (PROCESSOR_ARCHITECTURE_*). */
export const ARCHITECTURES: Readonly<Record<number, string>> = {0: 'x86', 5: 'ARM', 6: 'IA64', 9: 'x64', 12: 'ARM64'}

/** Caps on what header fields control: beyond them the dump is damaged or hostile, not large. */
export const MAX_STREAMS = 4096
/** Windows allows about 16 million handles per process; more descriptors than this are not read. */
export const MAX_HANDLES = 16_777_216
/** MINIDUMP_STRING.Length in bytes (UNICODE_STRING's limit). */
export const MAX_STRING_BYTES = 65_534
/** Handle strings kept by RVA (type names repeat; object names often do). */
export const MAX_CACHED_STRINGS = 65_536

/** `0x00000004 (WithHandleData)`: the MINIDUMP_TYPE bits by name, unknown ones in hex. */
export function flagNames(lo: number, hi: number): string {
  const names = DUMP_FLAGS.filter(([bit]) => (lo & bit) !== 0).map(([, name]) => name)
  const known = DUMP_FLAGS.reduce((m, [bit]) => m | bit, 0)
  const unknown = (lo & ~known) >>> 0
  if (unknown) names.push(hex32(unknown))
  if (hi) names.push(`high ${hex32(hi)}`)
  const value = hi ? `0x${hi.toString(16)}${(lo >>> 0).toString(16).padStart(8, '0')}` : hex32(lo)
  return names.length ? `${value} (${names.join(', ')})` : `${value} (Normal)`
}
