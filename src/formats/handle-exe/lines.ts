/**
 * Line shapes of Sysinternals handle.exe / handle64.exe output (../shared/corpus/FORMATS.md §8), one
 * function per shape. Each returns null when the line is not of its shape; none throws.
 */

/** Kernel object type names handle.exe prints (Windows XP … 11), for telling type words from names. */
export const OBJECT_TYPES: ReadonlySet<string> = new Set(
  (
    'ActivationObject ActivityReference Adapter Callback Composition Controller CoreMessaging CoverageSampler ' +
    'CpuPartition CrossVmEvent CrossVmMutant DebugObject Desktop Device Directory DmaAdapter DmaDomain Driver ' +
    'DxgkCompositionObject DxgkCurrentDxgProcessObject DxgkCurrentDxgThreadObject DxgkDisplayManagerObject ' +
    'DxgkSharedBundleObject DxgkSharedKeyedMutexObject DxgkSharedProtectedSessionObject DxgkSharedResource ' +
    'DxgkSharedSwapChainObject DxgkSharedSyncObject EnergyTracker EtwConsumer EtwRegistration ' +
    'EtwSessionDemuxEntry Event EventPair File FilterCommunicationPort FilterConnectionPort IoCompletion ' +
    'IoCompletionReserve IoRing IRTimer Job Key KeyedEvent Mutant NdisCmState Partition PcwObject Port ' +
    'PowerRequest Process ProcessStateChange Profile PsSiloContextNonPaged PsSiloContextPaged RawInputManager ' +
    'RegistryTransaction SchedulerSharedData Section Semaphore Session SymbolicLink Thread ThreadStateChange ' +
    'Timer TmEn TmRm TmTm TmTx Token TpWorkerFactory Type UserApcReserve VirtualKey VRegConfigurationContext ' +
    'WaitablePort WaitCompletionPacket WindowStation WmiGuid'
  ).split(' '),
)

/** Reads an object type at `from`: a known two-word name, else the first word. Returns [type, end]. */
function readType(text: string, from: number): [string, number] {
  if (text.startsWith('ALPC Port', from)) return ['ALPC Port', from + 9]
  if (text.startsWith('<Unknown type>', from)) return ['<Unknown type>', from + 14]
  let end = from
  while (end < text.length && text.charCodeAt(end) !== 32 && text.charCodeAt(end) !== 9) end++
  return [text.slice(from, end), end]
}

/** True when a File handle's name is an AFD socket endpoint (`\Device\Afd`, `\Device\Afd\Endpoint`). */
export function isAfdName(type: string, name: string): boolean {
  if (type !== 'File' || name.length < 11) return false
  if (!name.startsWith('\\Device\\Afd') && name.slice(0, 11).toLowerCase() !== '\\device\\afd') return false
  return name.length === 11 || name.charCodeAt(11) === 92
}

export type HandleLine = {readonly type: string; readonly name: string; readonly knownType: boolean}

/** True for the char code of a hex digit (either case). */
export const isHexCode = (c: number): boolean => (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102)

/**
 * A per-handle line of `-a` / `-p` listings: `  24C: File  (RW-)   C:\x`, `  2E8: Section       \Sessions\…`,
 * pre-v4 `   274: File          \Device\Afd\Endpoint`, an unnamed `   10: Mutant        `.
 * Scanned by hand: this runs on every line of listings that reach hundreds of MB.
 */
export function parseHandleLine(text: string): HandleLine | null {
  const n = text.length
  let i = 0
  while (i < n && text.charCodeAt(i) === 32) i++
  const hexStart = i
  while (i < n && isHexCode(text.charCodeAt(i))) i++
  if (i === hexStart || i - hexStart > 16 || text.charCodeAt(i) !== 58 || text.charCodeAt(i + 1) !== 32) return null
  i += 2
  while (i < n && text.charCodeAt(i) === 32) i++
  if (i >= n) return null
  const [type, end] = readType(text, i)
  i = end
  while (i < n && text.charCodeAt(i) === 32) i++
  // Share flags `(RWD)` sit between a File type and its name.
  const flags = text.charCodeAt(i) === 40 && text.charCodeAt(i + 4) === 41
  if (flags && isFlag(text, i + 1) && isFlag(text, i + 2) && isFlag(text, i + 3)) {
    i += 5
    while (i < n && text.charCodeAt(i) === 32) i++
  }
  let e = n
  while (e > i && (text.charCodeAt(e - 1) === 32 || text.charCodeAt(e - 1) === 9)) e--
  const name = i < e ? text.slice(i, e) : ''
  return {type, name, knownType: OBJECT_TYPES.has(type) || type === 'ALPC Port' || type === '<Unknown type>'}
}

const isFlag = (text: string, i: number) => {
  const c = text.charCodeAt(i)
  return c === 45 || c === 82 || c === 87 || c === 68
}

export type SearchLine = {
  readonly process: string
  readonly pid: number
  readonly type: string
  readonly name: string
}

// Names end with a non-blank, so a blank run is taken by one `\s+` (linear time on long blank runs).
const SEARCH_LINE = /^(\S(?:.*?\S)?)\s+pid: (\d{1,10})\s+type: (.*)$/
// The handle value before the name; v5.0 prints `…X` instead of `…:` in this mode.
const SEARCH_HANDLE = /(?:^|\s)[0-9A-Fa-f]{1,16}[:X](?: |$)/

/** A name-search line: `chrome.exe         pid: 17000  type: File           7D8: C:\x` (`-u`: user after type). */
export function parseSearchLine(text: string): SearchLine | null {
  const m = SEARCH_LINE.exec(text)
  if (!m) return null
  const rest = m[3]!
  const [type, end] = readType(rest, 0)
  if (type === '') return null
  const after = rest.slice(end)
  const h = SEARCH_HANDLE.exec(after)
  if (!h) return null
  return {process: m[1]!, pid: Number(m[2]), type, name: after.slice(h.index + h[0].length).trim()}
}

export type ProcessHeader = {readonly process: string; readonly pid: number}

const HEADER = /^(\S.*?) pid: (\d{1,10})(?:\s+(.*))?$/

/** A `-a` block header: `LeakyAgent.exe pid: 4312 CONTOSO\svc`, `System pid: 4 \<unable to open process>`. */
export function parseProcessHeader(text: string): ProcessHeader | null {
  const m = HEADER.exec(text)
  if (!m || (m[3] !== undefined && m[3].startsWith('type: '))) return null
  return {process: m[1]!, pid: Number(m[2])}
}

export type SummaryRow = {readonly type: string; readonly count: number}

const SUMMARY_ROW = /^\s{1,4}(\S(?:.*?\S)?)\s*: (\d{1,12})\s*$/

/** A `-s` summary row: `  File            : 122`, `  WaitCompletionPacket: 25`, `  <Unknown type>  : 1`. */
export function parseSummaryRow(text: string): SummaryRow | null {
  const m = SUMMARY_ROW.exec(text)
  if (!m || m[1]!.includes(':')) return null
  return {type: m[1]!, count: Number(m[2])}
}

/** `Total handles: 706` → 706. */
export function parseTotal(text: string): number | null {
  const m = /^Total handles: *(\d{1,12})\s*$/.exec(text)
  return m ? Number(m[1]) : null
}

/** The banner's first line (`Nthandle v4.22 - Handle viewer`, `Handle v3.42`), else null. */
export function bannerVersion(text: string): string | null {
  const m = /^((?:Nt)?[Hh]andle v\d+\.\d+)/.exec(text)
  return m ? m[1]! : null
}

/** Banner lines after the first: copyright and the Sysinternals web address. */
export const isBannerTail = (text: string): boolean =>
  text.startsWith('Copyright (C)') || text.startsWith('Sysinternals -') || text.startsWith('Sysinternals www')

export type CsvRow = {
  readonly process: string
  readonly pid: number
  readonly type: string
  readonly name: string
}

const HEX_HANDLE = /^0x[0-9A-Fa-f]{1,16}$/
const TYPE_WORD = /^[A-Za-z][A-Za-z ]{0,40}$/

/**
 * A `-v` CSV row, read by position: v5.0 rows are `Process,PID,Type,User,Handle,Name` under a header that
 * says `Process,PID,User,Handle,Type,Share Flags,Name,Access`; both layouts are accepted. Names are not
 * quoted and may contain commas, so the name is everything after the handle (minus trailing access mask).
 */
export function parseCsvRow(text: string): CsvRow | null {
  const f = text.split(',')
  if (f.length < 5 || !/^\d{1,10}$/.test(f[1]!)) return null
  let h = -1
  for (let i = 2; i < Math.min(f.length, 6); i++) {
    if (HEX_HANDLE.test(f[i]!)) {
      h = i
      break
    }
  }
  if (h < 0) return null
  const process = f[0]!.trim()
  const pid = Number(f[1])
  const next = f[h + 1]?.trim() ?? ''
  if (OBJECT_TYPES.has(next) || next === 'ALPC Port') {
    // Header-order row: Handle,Type,Share Flags,Name,Access.
    let from = h + 2
    if (from < f.length && /^[-RWD]{0,3}$/.test(f[from]!.trim())) from++
    let to = f.length
    if (to - 1 > from && HEX_HANDLE.test(f[to - 1]!.trim())) to--
    return {process, pid, type: next, name: f.slice(from, to).join(',').trim()}
  }
  let type = ''
  for (let i = 2; i < h; i++) {
    const v = f[i]!.trim()
    if (OBJECT_TYPES.has(v) || v === 'ALPC Port') {
      type = v
      break
    }
  }
  if (type === '' && h > 2 && TYPE_WORD.test(f[2]!.trim())) type = f[2]!.trim()
  if (type === '') return null
  return {process, pid, type, name: f.slice(h + 1).join(',').trim()}
}
