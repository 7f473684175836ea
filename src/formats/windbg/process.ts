import {isElision} from '../shared/dump-common.js'
import type {LineParser, Parser, ProcessRecord, RecordSink} from '../types.js'
import {newProcess} from '../shared/records.js'
import {
  emptyFields,
  isDebuggerChatter,
  isProcessLine,
  type ProcessFields,
  promptCommand,
  readProcessFields,
} from './common.js'

// `!process 0 7`, `!process ffffab84c4705040 1f`, `!process 0 0 notepad.exe`: flags are hex.
const PROCESS_COMMAND = /^!process(?:\s+(\S+)(?:\s+([0-9a-fA-Fx]+))?)?/i

/**
 * kd / WinDbg `!process` listings (`!process 0 0`, `0 1`, `0 7`, a single process): one process
 * record per PROCESS block, emitted under the PROCESS line once the block ends, so that the thread
 * count of flag-2 listings is known. Every other line of a block is structure.
 */
class WindbgProcessLineParser implements LineParser {
  private block: {line: number; fields: ProcessFields; threads: number; threadLines: boolean} | null = null
  /** Whether the running command lists threads: true/false from its flags, null when unknown. */
  private listsThreads: boolean | null = null
  private readonly rec: ProcessRecord = newProcess()

  constructor(private readonly sink: RecordSink) {
    sink.note('view', 'kd')
  }

  line(text: string, no: number): void {
    const c = text.charCodeAt(0)
    // Inside a block only indentation is checked: `!process 0 7` prints thousands of indented thread lines.
    if (this.block && (c === 32 || c === 9)) {
      const t = text.trimStart()
      if (t === '') {
        this.sink.structure()
        return
      }
      if (t.startsWith('THREAD ')) {
        this.block.threads++
        this.block.threadLines = true
      } else if (!this.block.threadLines) {
        readProcessFields(text, this.block.fields)
      }
      this.sink.structure()
      return
    }
    if (c === 80 && isProcessLine(text)) {
      this.flush()
      const fields = emptyFields()
      readProcessFields(text.slice(8), fields)
      this.block = {line: no, fields, threads: 0, threadLines: false}
      return
    }
    if (text.trim() === '') {
      this.sink.structure()
      return
    }
    const command = promptCommand(text)
    if (command !== null) {
      this.flush()
      this.command(command)
      this.sink.skip(no, 'echo', text)
      return
    }
    if (isDebuggerChatter(text)) {
      this.sink.structure()
      return
    }
    this.sink.skip(no, isElision(text) ? 'elision' : 'junk', text)
  }

  end(): void {
    this.flush()
  }

  private command(command: string): void {
    const m = PROCESS_COMMAND.exec(command)
    if (!m) {
      this.listsThreads = null
      return
    }
    // Flag bit 1 lists threads; without flags, whether threads follow is learnt from the blocks.
    const flags = m[2] === undefined ? NaN : parseInt(m[2].replace(/^0x/i, ''), 16)
    this.listsThreads = Number.isNaN(flags) ? null : (flags & 2) !== 0
  }

  private flush(): void {
    const b = this.block
    if (!b) return
    this.block = null
    if (b.fields.pid === null) {
      this.sink.skip(b.line, 'malformed', 'PROCESS block without a Cid')
      return
    }
    const r = this.rec
    r.pid = b.fields.pid
    r.ppid = b.fields.ppid
    r.name = b.fields.image
    r.handles = b.fields.handles
    // A block of a thread-listing command with no THREAD line is a process without threads.
    r.threads = b.threadLines || this.listsThreads === true ? b.threads : null
    if (b.threadLines && this.listsThreads === null) this.listsThreads = true
    r.line = b.line
    this.sink.process(r)
  }
}

/** kd / WinDbg `!process 0 0` (and `0 1`, `0 7`) process blocks, Cid/ParentCid in hex. */
export const windbgProcessParser: Parser = {
  id: 'windbg-process',
  description: 'WinDbg / kd `!process` listings (PROCESS blocks with Cid, ParentCid, HandleCount, Image)',
  detect: detectProcess,
  create(sink: RecordSink): LineParser {
    return new WindbgProcessLineParser(sink)
  },
}

function detectProcess(sample: string): number {
  // A `!handle` dump prints the same PROCESS blocks: leave those to windbg-handle.
  if (sample.includes('PROCESS HANDLE DUMP') || /andle table at [0-9a-fA-F`]+ with \d+ [Ee]ntries/.test(sample)) {
    return sample.includes('NT ACTIVE PROCESS DUMP') ? 0.3 : 0.1
  }
  const block = /^PROCESS [0-9a-fA-F`]{8,17}\b.*(?:\r?\n.*){0,3}?(?:\s|^)Cid: *[0-9a-fA-F]+/gm
  const blocks = sample.match(block)?.length ?? 0
  const images = sample.match(/^ {2,}Image: \S/gm)?.length ?? 0
  if (sample.includes('**** NT ACTIVE PROCESS DUMP ****')) return blocks > 0 || images > 0 ? 0.97 : 0.85
  if (blocks >= 1 && images >= 1) return blocks >= 2 ? 0.9 : 0.8
  if (blocks >= 1) return 0.5
  return 0
}
