import {isAfdName, isElision} from '../shared/dump-common.js'
import type {HandleCountRecord, HandleRecord, LineParser, Parser, RecordSink} from '../types.js'
import {
  emptyFields,
  isDebuggerChatter,
  isProcessLine,
  type ProcessFields,
  promptCommand,
  readProcessFields,
} from './common.js'

// Kernel entry `0040: Object: fffff8a000633f00  GrantedAccess: 00000006 (Inherit) Entry: ...`.
const KERNEL_ENTRY = /^\s*[0-9a-fA-F]{1,16}: +Object: +[0-9a-fA-F`]+ +GrantedAccess/
const FREE_ENTRY = /^\s*[0-9a-fA-F]{1,16}: +free handle/
const OBJECT_TYPE = /^\s*Object: +[0-9a-fA-F`]+ +Type: +\([0-9a-fA-F`]+\) *(.*)$/
// `Handle table at ...`, `Kernel handle table at ...`, XP `New version of handle table at ... Entries in use`.
const TABLE = /andle table at [0-9a-fA-F`]+ with (\d+) [Ee]ntries in use/
const USER_HANDLE = /^\s*Handle +(?:0x)?([0-9a-fA-F]{1,16})\s*$/
const SUMMARY = /^\s*(\d+) Handles\s*$/
const TYPE_COUNT = /^(\S(?:.*\S)?)[ \t]+(\d+)\s*$/
// `|` output: `.  0  id: 1a2c  attach  name: C:\Windows\notepad.exe`, naming the user-mode target.
// The name runs to the last non-blank (linear time on long blank runs, unlike `(.*?)\s*$`).
const TARGET = /^[.#]?\s*\d+\s+id:\s*([0-9a-fA-F]+)\s+\S+\s+name:\s*(\S(?:.*\S)?)?\s*$/

type Pending = {line: number; type: string; name: string}

/**
 * WinDbg / kd `!handle` listings. Kernel mode: PROCESS blocks give the owner, `Handle table at ...
 * with N entries in use` becomes a handleCount record, each `hhhh: Object: ...` entry a handle
 * record whose type and name come from the object-info lines that follow it. User mode:
 * `Handle 4` + `  Type  Section` (+ `!handle h f` detail lines), and the `N Handles` /
 * `Type Count` summary becomes a handleCount record with byType.
 */
class WindbgHandleLineParser implements LineParser {
  private owner: ProcessFields = emptyFields()
  /** True from a PROCESS line until its handle table starts. */
  private inHeader = false
  private pending: Pending | null = null
  private summary: {line: number; total: number; byType: Record<string, number> | null} | null = null
  private view: 'kd' | 'user' | null = null
  private readonly rec: HandleRecord = {pid: -1, process: null, type: '', name: '', afd: false, line: 0}

  constructor(private readonly sink: RecordSink) {}

  line(text: string, no: number): void {
    const c = text.charCodeAt(0)
    const indented = c === 32 || c === 9
    const t = indented ? text.trim() : text.trimEnd()
    if (t === '') {
      this.flush()
      this.sink.structure()
      return
    }
    if (indented && this.indented(t)) {
      this.sink.structure()
      return
    }
    if (this.summary && this.summaryLine(t)) {
      this.sink.structure()
      return
    }
    if (this.pending && this.objectInfo(t)) {
      this.sink.structure()
      return
    }
    this.flush()
    if (this.kernel(text, t, no)) return
    let m = USER_HANDLE.exec(t)
    if (m) {
      this.setView('user')
      this.pending = {line: no, type: '', name: ''}
      return
    }
    m = SUMMARY.exec(t)
    if (m) {
      this.setView('user')
      this.summary = {line: no, total: Number(m[1]), byType: null}
      return
    }
    const command = promptCommand(text)
    if (command !== null) {
      this.sink.skip(no, 'echo', text)
      return
    }
    m = TARGET.exec(t)
    if (m) {
      this.owner = {pid: parseInt(m[1]!, 16), ppid: null, handles: null, image: (m[2] ?? '').split(/[\\/]/).pop() || null}
      this.sink.structure()
      return
    }
    if (isDebuggerChatter(t)) this.sink.structure()
    else this.sink.skip(no, isElision(t) ? 'elision' : 'junk', text)
  }

  end(): void {
    this.flush()
  }

  /** Kernel-mode lines; true when the line was accounted for. */
  private kernel(text: string, t: string, no: number): boolean {
    if (isProcessLine(t)) {
      this.owner = emptyFields()
      readProcessFields(t.slice(8), this.owner)
      this.inHeader = true
      this.setView('kd')
      this.sink.structure()
      return true
    }
    if (KERNEL_ENTRY.test(t)) {
      this.inHeader = false
      this.setView('kd')
      this.pending = {line: no, type: '', name: ''}
      return true
    }
    if (FREE_ENTRY.test(t)) {
      this.sink.structure()
      return true
    }
    const m = TABLE.exec(t)
    if (m) {
      this.inHeader = false
      this.setView('kd')
      this.count({pid: this.owner.pid, total: Number(m[1]), byType: null, line: no})
      return true
    }
    if (OBJECT_TYPE.test(t)) {
      // Object info without an entry before it (`!object`, `!handle` of one handle whose entry was cut).
      this.sink.skip(no, 'junk', text)
      return true
    }
    return false
  }

  /** Indented lines: PROCESS header fields, object info and user-mode detail of the pending handle. */
  private indented(t: string): boolean {
    if (this.pending) {
      if (this.view === 'user') {
        if (t.startsWith('Type')) this.pending.type = t.slice(4).trim()
        else if (t.startsWith('Name')) this.pending.name = userName(t.slice(4).trim())
        return true
      }
      const nameAt = t.indexOf('Name: ')
      if (nameAt === 0 || (nameAt > 0 && t.startsWith('Directory Object:'))) this.pending.name = t.slice(nameAt + 6).trim()
      return true
    }
    if (this.inHeader) {
      readProcessFields(t, this.owner)
      return true
    }
    return false
  }

  /** Unindented lines that still describe the pending handle (kernel object-info header). */
  private objectInfo(t: string): boolean {
    if (t.startsWith('No object specific information')) return true
    if (this.view !== 'kd') return false
    const m = OBJECT_TYPE.exec(t)
    if (!m) return false
    this.pending!.type = m[1]!.trim()
    return true
  }

  /** `Type  Count` and `Event  3` lines under `N Handles`; false ends the summary. */
  private summaryLine(t: string): boolean {
    const s = this.summary!
    if (s.byType === null && /^Type\s+Count$/.test(t)) {
      s.byType = {}
      return true
    }
    const m = s.byType && TYPE_COUNT.exec(t)
    if (!m || USER_HANDLE.test(t)) return false
    s.byType![m[1]!] = (s.byType![m[1]!] ?? 0) + Number(m[2])
    return true
  }

  private flush(): void {
    const p = this.pending
    if (p) {
      this.pending = null
      // The object-info line carries the type: the entry and it are one record.
      const r = this.rec
      r.pid = this.owner.pid ?? -1
      r.process = this.owner.image
      r.type = p.type
      r.name = p.name
      r.afd = isAfdName(p.name)
      r.line = p.line
      this.sink.handle(r)
    }
    const s = this.summary
    if (s) {
      this.summary = null
      this.count({pid: this.owner.pid, total: s.total, byType: s.byType, line: s.line})
    }
  }

  private count(c: {pid: number | null; total: number; byType: Record<string, number> | null; line: number}): void {
    const record: HandleCountRecord = {...c, process: this.owner.image, afd: null}
    this.sink.handleCount(record)
  }

  private setView(view: 'kd' | 'user'): void {
    if (this.view === view) return
    this.view = view
    this.sink.note('view', view)
  }
}

const userName = (n: string) => (n === '<none>' ? '' : n)

/** WinDbg / kd `!handle` listings, kernel (`Handle table at ...`) and user mode (`Handle 4` / `Type`). */
export const windbgHandleParser: Parser = {
  id: 'windbg-handle',
  description: 'WinDbg / kd `!handle` listings (kernel handle tables and user-mode handle lists with type summary)',
  detect: detectHandle,
  create(sink: RecordSink): LineParser {
    return new WindbgHandleLineParser(sink)
  },
}

function detectHandle(sample: string): number {
  if (sample.includes('**** NT ACTIVE PROCESS HANDLE DUMP ****')) return 0.97
  const tables = sample.match(/andle table at [0-9a-fA-F`]+ with \d+ [Ee]ntries in use/g)?.length ?? 0
  // Blanks within a line only ([ \t], not \s): `^\s*` under /m rescans every blank line after each line
  // start, quadratic in a sample of blank lines (14 s on 64 KB).
  const entry = /^[ \t]*[0-9a-fA-F]{1,16}: +Object: +[0-9a-fA-F`]+ +GrantedAccess: +[0-9a-fA-F]+/gm
  const entries = sample.match(entry)?.length ?? 0
  if (tables > 0 && entries > 0) return 0.95
  if (tables > 0 || entries >= 2) return 0.85
  const users = sample.match(/^[ \t]*Handle +(?:0x)?[0-9a-fA-F]{1,16}[ \t]*\r?\n[ \t]+Type\b/gm)?.length ?? 0
  const summary = /^[ \t]*\d+ Handles[ \t]*\r?\n[ \t]*Type[ \t]+Count[ \t]*\r?$/m.test(sample)
  if (users >= 2 || (users >= 1 && summary)) return 0.9
  if (summary) return 0.85
  if (users === 1 || entries === 1) return 0.6
  return 0
}
