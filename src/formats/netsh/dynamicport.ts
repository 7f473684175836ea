/**
 * `netsh int ipv4|ipv6 show dynamicport tcp|udp`: per protocol a title naming tcp or udp, a dashed rule, then
 * `label : number` pairs (start port, number of ports). netsh output is localized, so labels other than the
 * English and French ones are read by position, as Microsoft's own diagnostic did. A script may run several
 * commands into one file, with the command lines echoed (they give the address family).
 */
import type {LineParser, ParseOptions, Parser, Proto, RecordSink, SkipReason} from '../types.js'

type Family = 'ipv4' | 'ipv6'

type Block = {
  /** First line of the block (its title, or its first pair when the title is missing): the record's line. */
  line: number
  raw: string
  proto: Proto | null
  family: Family | null
  ruled: boolean
  start: number | null
  count: number | null
}

const COMMAND = /netsh(?:\.exe)?\s+(?:int|interface)\s+(ipv4|ipv6|ip)\s+show\s+dynamicport\w*\s+(tcp|udp)\b/i
const PROMPT = /^\s*(?:PS(?: [^>]*)?>|[A-Za-z]:\\[^>]*>|>>)/
// The label is what follows the last colon but one: a prefix every line repeats (`    vhd: Start Port : 49152`,
// as build logs write it) is passed over.
const PAIR = /^\s*(?:[^:]*:)*?\s*([^:]*?)\s*:\s*(\d{1,6})\s*$/
const PROTO_WORD = /(?:^|[^A-Za-z0-9])(tcp|udp)(?:[^A-Za-z0-9]|$)/i
const START_LABEL = /^(?:start port|port de d[ée]marrage)$/i
const COUNT_LABEL = /^(?:number of ports|nombre de ports)$/i
const ELISION = /^\s*(?:\.{3,}|…|\[(?:snip|\.{3}|…)\])\s*$/i

// Pair lines are short: the length bound keeps the lazy label match from backtracking over long junk lines.
const pairOf = (text: string) => (text.length <= 200 && text.includes(':') ? PAIR.exec(text) : null)
// A prefix starts with a non-blank character and the blanks after it are its own, so a blank run is read
// one way only (linear time; two \s* side by side would take quadratic time on a long blank line).
const isRule = (text: string) => /^\s*(?:[^\s:-][^:]*:\s*)?-{3,}\s*$/.test(text)
const familyOf = (word: string): Family => (word.toLowerCase() === 'ipv6' ? 'ipv6' : 'ipv4')
const protoOf = (word: string): Proto => (word.toLowerCase() === 'udp' ? 'UDP' : 'TCP')

/** True for a range `netsh int ipv4 set dynamicport` accepts: start ≥ 1025, at least 255 ports, ending at or below 65535. */
export const validRange = (start: number, count: number) => start >= 1025 && count >= 255 && start + count - 1 <= 65535

/**
 * True for a range the OS may print: any start from 1 and any count that ends at or below 65535. Ranges an
 * installer wrote to the registry (`Start Port : 1024`) are outside what `set dynamicport` allows, yet real.
 */
export const possibleRange = (start: number, count: number) => start >= 1 && count >= 1 && start + count - 1 <= 65535

class NetshDynamicPortLines implements LineParser {
  private block: Block | null = null
  /** A complete block whose record waits one line: a count cut by the end of the input is `truncated`. */
  private ready: Block | null = null
  /** Family and protocol of the last echoed command, for the block that follows it. */
  private family: Family | null = null
  private proto: Proto | null = null

  constructor(private readonly sink: RecordSink) {}

  line(raw: string, no: number): void {
    const text = no === 1 && raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw
    if (this.ready) this.finish(this.ready, 'malformed')
    if (text.trim() === '') return this.sink.structure()
    const command = COMMAND.exec(text)
    if (command) {
      this.abandon(false)
      this.family = familyOf(command[1]!)
      this.proto = protoOf(command[2]!)
      return this.sink.skip(no, 'echo', text)
    }
    if (PROMPT.test(text)) return this.sink.skip(no, 'echo', text)
    if (isRule(text)) {
      if (this.block && !this.block.ruled && this.block.start === null) this.block.ruled = true
      return this.sink.structure()
    }
    const pair = pairOf(text)
    if (pair) return this.pair(pair[1]!, Number(pair[2]), text, no)
    const word = PROTO_WORD.exec(text)
    if (word && text.length <= 160) {
      this.abandon(false)
      this.block = this.open(no, text, protoOf(word[1]!))
      return
    }
    if (ELISION.test(text)) return this.sink.skip(no, 'elision', text)
    this.sink.skip(no, 'junk', text)
  }

  end(endedWithNewline: boolean): void {
    if (this.ready) this.finish(this.ready, endedWithNewline ? 'malformed' : 'truncated')
    this.abandon(true)
  }

  private open(line: number, raw: string, proto: Proto | null): Block {
    const {family} = this
    const block: Block = {line, raw, proto: proto ?? this.proto, family, ruled: false, start: null, count: null}
    this.family = null
    this.proto = null
    return block
  }

  private pair(label: string, value: number, text: string, no: number): void {
    let b = this.block
    if (!b) {
      b = this.block = this.open(no, text, null)
    } else {
      this.sink.structure()
    }
    // known labels place the value; unknown languages give start, then count
    const isCount = COUNT_LABEL.test(label) || (!START_LABEL.test(label) && b.start !== null)
    if (isCount) b.count = value
    else b.start = value
    if (b.start === null || b.count === null) return
    this.block = null
    this.ready = b
  }

  private finish(b: Block, failure: SkipReason): void {
    this.ready = null
    const {proto, start, count} = b
    // Without a line end the count may be cut short: only a range set dynamicport allows is taken then.
    const takeable = failure === 'truncated' ? validRange : possibleRange
    if (proto && start !== null && count !== null && takeable(start, count)) {
      this.sink.portRange({proto, family: b.family, start, count, line: b.line})
      if (!validRange(start, count)) {
        this.sink.note(
          'rangeOutsideSetLimits',
          `${proto} ${start}–${start + count - 1} (line ${b.line}) is outside what \`netsh int ipv4 set dynamicport\` allows (start ≥ 1025, ≥ 255 ports): set by an installer or the registry; read as printed`,
        )
      }
      return
    }
    this.sink.skip(b.line, proto ? failure : 'malformed', b.raw)
  }

  /** Drops an unfinished block: its first line is skipped (`truncated` at the end of the input). */
  private abandon(atEnd: boolean): void {
    const b = this.block
    if (!b) return
    this.block = null
    const reason: SkipReason = b.start === null && !b.ruled ? 'junk' : atEnd ? 'truncated' : 'malformed'
    this.sink.skip(b.line, reason, b.raw)
  }
}

const TITLE = /Protocol (?:tcp|udp) Dynamic Port Range|Plage de ports dynamique du protocole (?:tcp|udp)/i
const PAIR_LINE = /^[^\r\n]*:[ \t]*\d{1,6}[ \t]*\r?$/m

/**
 * Confidence that `sample` is `netsh … show dynamicport` output: 0.95 for an English or French title with a
 * `label : number` line, 0.85 for the shape alone (a line naming tcp/udp, a dashed rule, two number pairs),
 * 0.4 for an echoed command only.
 */
export function detectNetshDynamicPort(sample: string): number {
  if (typeof sample !== 'string' || sample.length === 0) return 0
  const s = sample.length > 65536 ? sample.slice(0, 65536) : sample
  if (TITLE.test(s) && PAIR_LINE.test(s)) return 0.95
  const lines = s.split('\n', 4096)
  for (let i = 1; i + 2 < lines.length; i++) {
    if (!isRule(lines[i]!) || !PROTO_WORD.test(lines[i - 1]!) || pairOf(lines[i - 1]!)) continue
    if (pairOf(lines[i + 1]!) && pairOf(lines[i + 2]!)) return 0.85
  }
  return COMMAND.test(s) ? 0.4 : 0
}

/** `netsh int ipv4|ipv6 show dynamicport tcp|udp` → one portRange record per protocol block. */
export const netshDynamicPortParser: Parser = {
  id: 'netsh-dynamicport',
  description: 'netsh int ipv4|ipv6 show dynamicport tcp|udp (dynamic port range; any language)',
  detect: detectNetshDynamicPort,
  create: (sink: RecordSink, _options: ParseOptions): LineParser => new NetshDynamicPortLines(sink),
}
