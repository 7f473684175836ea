/**
 * Pieces shared by the WinDbg / kd parsers (`!process`, `!handle`): prompts, the PROCESS block
 * header every kernel listing prints, and the lines both treat alike.
 */

// `0: kd> `, `kd> `, `lkd> `, `1: kd:x86> ` (kernel) and `0:000> `, `0:000:x86> ` (user mode).
const PROMPT = /^\s*(?:(?:\d+: ?)?l?kd(?::\w+)?|\d+:\d+(?::\w+)?)> ?(.*)$/

/** The command after a debugger prompt (`''` for a bare prompt), or null when the line is no prompt. */
export function promptCommand(text: string): string | null {
  const gt = text.indexOf('>')
  if (gt < 0 || gt > 16) return null
  const m = PROMPT.exec(text)
  return m ? m[1]!.trim() : null
}

/** What a `PROCESS` block header says about its process. Null fields were not (yet) seen. */
export type ProcessFields = {
  pid: number | null
  ppid: number | null
  /** `HandleCount: 53.` (decimal) or the NT4 `TableSize: 150.`; null for `<Data Not Accessible>`. */
  handles: number | null
  image: string | null
}

/** Fields of a block whose header has not been read yet. */
export const emptyFields = (): ProcessFields => ({pid: null, ppid: null, handles: null, image: null})

const CID = /(?:^|\s)Cid: *([0-9a-fA-F]{1,8})\b/
const PARENT_CID = /ParentCid: *([0-9a-fA-F]{1,8})\b/
const HANDLE_COUNT = /(?:HandleCount|TableSize): *(\d+)\./

/** `PROCESS ffffab84c4705040` and the legacy one-line forms (`PROCESS 80a02a60  Cid: 0002 ...`). */
export function isProcessLine(text: string): boolean {
  return text.startsWith('PROCESS ') && /^PROCESS [0-9a-fA-F`]{8,17}\b/.test(text)
}

/**
 * Reads the header fields present on one line of a PROCESS block into `f` (first value wins, so
 * later `Image:` lines of thread listings do not override the process image). Cid and ParentCid
 * are hex (`0168` = 360); HandleCount is decimal with a trailing dot.
 */
export function readProcessFields(text: string, f: ProcessFields): void {
  if (f.pid === null && text.includes('Cid:')) {
    const m = CID.exec(text)
    if (m) f.pid = parseInt(m[1]!, 16)
  }
  if (f.ppid === null && text.includes('ParentCid:')) {
    const m = PARENT_CID.exec(text)
    if (m) f.ppid = parseInt(m[1]!, 16)
  }
  if (f.handles === null && (text.includes('HandleCount:') || text.includes('TableSize:'))) {
    const m = HANDLE_COUNT.exec(text)
    if (m) f.handles = Number(m[1])
  }
  if (f.image === null) {
    const t = text.trimStart()
    if (t.startsWith('Image:')) {
      const image = t.slice(6).trim()
      if (image !== '') f.image = image
    }
  }
}

/** Lines the debugger prints around listings: dump titles, searches, processor context. */
export function isDebuggerChatter(text: string): boolean {
  const t = text.trim()
  return (
    (t.startsWith('****') && t.endsWith('****')) ||
    t.startsWith('Searching for ') ||
    /^processor number \d+/.test(t) ||
    t === 'Loading User Symbols' ||
    t === 'Loading unloaded module list'
  )
}
