/**
 * `netsh int ipv4|ipv6 show excludedportrange protocol=tcp|udp`: a title naming the protocol, a header of two
 * columns (start port, end port), a rule of two dash groups, then one block per line: `start end`, with `*`
 * after administered exclusions, and a footnote explaining the `*`. netsh output is localized (English
 * `Protocol tcp Port Exclusion Ranges` / `Start Port    End Port`, French `Plages d'exclusions de ports du
 * protocole tcp`, German `Portausschlussbereiche für das tcp-Protokoll`…), so blocks are read by shape: two
 * numbers after the two-column rule. Excluded blocks inside the dynamic range are ports no dynamic
 * allocation can take: the analysis subtracts them from the usable count.
 */
import type {LineParser, ParseOptions, Parser, Proto, RecordSink} from '../types.js'

type Family = 'ipv4' | 'ipv6'

const COMMAND = /netsh(?:\.exe)?\s+(?:int|interface)\s+(ipv4|ipv6|ip)\s+show\s+excludedportrange\s+(?:protocol\s*=\s*)?(tcp|udp)\b/i
const PROMPT = /^\s*(?:PS(?: [^>]*)?>|[A-Za-z]:\\[^>]*>|>>)/
const RULE2 = /^\s*-{3,}\s+-{3,}\s*$/
const BLOCK = /^\s*(\d{1,5})\s+(\d{1,5})(?:\s+(\*))?\s*$/
const PROTO_WORD = /(?:^|[^A-Za-z0-9])(tcp|udp)(?:[^A-Za-z0-9]|$)/i
const FOOTNOTE = /^\s*\*\s*-/
const TITLE = /Port Exclusion Ranges|exclusions? de ports|Portausschlussbereiche|rangos de exclusi[oó]n de puertos|intervalli di esclusione delle porte/i

class NetshExcludedLines implements LineParser {
  private proto: Proto | null = null
  private family: Family | null = null
  /** After the two-column rule of a block whose protocol is known. */
  private inBlock = false

  constructor(private readonly sink: RecordSink) {}

  line(raw: string, no: number): void {
    const text = no === 1 && raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw
    if (text.trim() === '') return this.sink.structure()
    const command = COMMAND.exec(text)
    if (command) {
      this.family = command[1]!.toLowerCase() === 'ipv6' ? 'ipv6' : 'ipv4'
      this.proto = command[2]!.toLowerCase() === 'udp' ? 'UDP' : 'TCP'
      this.inBlock = false
      return this.sink.skip(no, 'echo', text)
    }
    if (PROMPT.test(text)) return this.sink.skip(no, 'echo', text)
    if (RULE2.test(text)) {
      this.inBlock = this.proto !== null
      return this.sink.structure()
    }
    const block = BLOCK.exec(text)
    if (block && this.inBlock) {
      const start = Number(block[1])
      const end = Number(block[2])
      if (start < 1 || end > 65535 || end < start) return this.sink.skip(no, 'malformed', text)
      this.sink.portRange({proto: this.proto!, family: this.family, start, count: end - start + 1, line: no, excluded: true, administered: block[3] === '*'})
      return
    }
    if (FOOTNOTE.test(text)) return this.sink.structure()
    const word = PROTO_WORD.exec(text)
    if (word && text.length <= 160 && !block) {
      // A title: the protocol of the blocks that follow (the echoed command's family stays).
      this.proto = word[1]!.toLowerCase() === 'udp' ? 'UDP' : 'TCP'
      this.inBlock = false
      return this.sink.structure()
    }
    // The column header (`Start Port    End Port`, any language) comes before the rule.
    if (!this.inBlock && this.proto !== null && text.length <= 120 && !/\d/.test(text)) return this.sink.structure()
    this.sink.skip(no, block ? 'malformed' : 'junk', text)
  }

  end(_endedWithNewline: boolean): void {}
}

/**
 * Confidence that `sample` is `show excludedportrange` output: 0.95 for a known title with the two-column
 * rule, 0.85 for the shape alone (a line naming tcp/udp, later the two-column rule followed by a block or
 * by the footnote), 0.4 for an echoed command only.
 */
export function detectNetshExcluded(sample: string): number {
  if (typeof sample !== 'string' || sample.length === 0) return 0
  const lines = (sample.length > 65536 ? sample.slice(0, 65536) : sample).split('\n', 4096).map((l) => l.replace(/\r$/, ''))
  const rule = lines.findIndex((l) => RULE2.test(l))
  if (rule > 0) {
    const next = lines.slice(rule + 1).find((l) => l.trim() !== '')
    const shaped = next === undefined || BLOCK.test(next) || FOOTNOTE.test(next)
    const titled = lines.slice(0, rule).some((l) => TITLE.test(l))
    const proto = lines.slice(0, rule).some((l) => PROTO_WORD.test(l))
    if (shaped && titled) return 0.95
    if (shaped && proto && next !== undefined) return 0.85
  }
  return COMMAND.test(sample) ? 0.4 : 0
}

/** `netsh int ipv4|ipv6 show excludedportrange protocol=tcp|udp` → one excluded portRange record per block. */
export const netshExcludedPortRangeParser: Parser = {
  id: 'netsh-excludedportrange',
  description: 'netsh int ipv4|ipv6 show excludedportrange protocol=tcp|udp (excluded port blocks; any language)',
  detect: detectNetshExcluded,
  create: (sink: RecordSink, _options: ParseOptions): LineParser => new NetshExcludedLines(sink),
}
