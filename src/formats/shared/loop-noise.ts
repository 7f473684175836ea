import {ECHO_PREFIXES, PING_PREFIXES} from '../netstat/locale.js'
import {parseStamp, StampResolver, type StampParts} from './timestamps.js'
import type {DateOrder, RecordSink, SkipReason} from '../types.js'

const PROMPT = /^(?:PS(?: [^>]*)?>|[A-Za-z]:\\[^>]*>|[A-Za-z]:>)/
// Loop script lines besides cmd's own (ECHO_PREFIXES): the tools these parsers read and PowerShell loop syntax.
const EXTRA_ECHO = ['handle ', 'handle64 ', 'handle.exe', 'handle64.exe', 'tasklist', 'get-process', 'start-sleep']
  .concat(['write-output ', 'while ', 'for ', 'do {', '}', '$'])
const ELISION = /^(?:\.{3,}|…|\[(?:snip|\.\.\.|…)[^\]]*\])$/i

/**
 * Why a line that belongs to no row or structure of a loop was written: the loop's PING/timeout delay
 * (`ping`), echoed commands and prompts (`echo`), an author's elision (`elision`), else null.
 * `trimmed` is the line without leading and trailing blanks.
 */
export function loopNoise(trimmed: string): SkipReason | null {
  if (ELISION.test(trimmed)) return 'elision'
  if (PROMPT.test(trimmed)) return 'echo'
  const lower = trimmed.toLowerCase()
  if (PING_PREFIXES.some((p) => lower.startsWith(p))) return 'ping'
  if (ECHO_PREFIXES.some((p) => lower.startsWith(p)) || EXTRA_ECHO.some((p) => lower.startsWith(p))) return 'echo'
  return null
}

/** `PS C:\> Get-Process` → `Get-Process`; the command after a prompt, or null when the line is no prompt. */
export function promptCommand(trimmed: string): string | null {
  const m = PROMPT.exec(trimmed)
  return m ? trimmed.slice(m[0].length).trim() : null
}

/**
 * The process a handle.exe command line names with `-p` (`handle64 -nobanner -s -p LeakyAgent.exe`):
 * a pid when the argument is decimal, else the name as typed; null when the line runs no `-p` handle.
 */
export function handleCommandTarget(command: string): {pid: number; process: string | null} | null {
  const m = /^(?:\S*[\\/])?handle(?:64)?(?:\.exe)?\s.*?(?:^|\s)[-/]p\s+("?)([^\s"]+)\1/i.exec(command)
  if (!m) return null
  const arg = m[2]!
  return /^\d{1,10}$/.test(arg) ? {pid: Number(arg), process: null} : {pid: -1, process: arg}
}

const DECORATION = /^[\s=*#~[\]<>-]+|[\s=*#~[\]<>-]+$/g

/**
 * The stamp a loop wrote before a snapshot (`%date% %time%`, `Get-Date`, ISO), also inside a light decoration
 * (`===== 2026-01-14 07:17:00 =====`). `trimmed` is the line without surrounding blanks.
 */
export function stampOf(trimmed: string): StampParts | null {
  if (trimmed.length < 8 || trimmed.length > 96 || !trimmed.includes(':')) return null
  const direct = parseStamp(trimmed)
  if (direct) return direct
  const c = trimmed.charCodeAt(0)
  // Only decorated lines get a second look: most non-stamp lines are rejected above or here.
  if (c === 61 || c === 45 || c === 42 || c === 35 || c === 126 || c === 91 || c === 60) {
    const inner = trimmed.replace(DECORATION, '')
    return inner === trimmed ? null : parseStamp(inner)
  }
  return null
}

/**
 * The snapshots of a listing run in a timestamped loop: a stamp line opens one; output before any
 * stamp gets one untimed snapshot. At the end, every stamp is resolved with one day/month order.
 */
export class LoopSnapshots {
  /** A snapshot is open (stamped or not). */
  started = false
  /** At least one stamp line was seen: the input is a loop, so a cut-off last line is a cut-off snapshot. */
  stamped = false
  private readonly stamps = new StampResolver()

  constructor(private readonly sink: RecordSink) {}

  /** A stamp line (`text`, parsed as `stamp`) at line `no` opens a snapshot. */
  stamp(stamp: StampParts, text: string, no: number): void {
    this.started = true
    this.stamped = true
    this.stamps.add(stamp)
    this.sink.snapshot({line: no, stamp: text})
  }

  /** Output at line `no` before any stamp: opens the one untimed snapshot. */
  ensure(no: number): void {
    if (this.started) return
    this.started = true
    this.stamps.add(null)
    this.sink.snapshot({line: no, stamp: null})
  }

  /** Resolves the snapshots' times (`dateOrder` forced, or decided from all stamps). */
  end(dateOrder: DateOrder | undefined): void {
    if (!this.started) return
    const r = this.stamps.resolve(dateOrder)
    this.sink.snapshotTimes(r.times, r.order)
  }
}
