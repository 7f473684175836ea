/**
 * `ipconfig /all`: the title (`Windows IP Configuration`, localized), the host block of dotted-leader
 * pairs (`   Host Name . . . . . . . . . . . . : SRV-WEB01`), then one block per adapter under its title
 * line. Read for the machine's host name (the `host` note): the `Host Name` pair by its label in the
 * languages below, else the first pair of the host block, which is the host name in every language.
 */
import {HostNote} from '../shared/host-name.js'
import {defineFormat, type LineParser, type RecordSink} from '../types.js'

// `Windows IP Configuration`, `Windows-IP-Konfiguration`, `Konfiguracja IP systemu Windows`, `Windows IP 構成`…
const TITLE = /^\s*[^\s:][^:]{0,60}$/
const isTitle = (text: string) => TITLE.test(text) && /\bWindows\b/.test(text) && /\bIP\b/.test(text)
// `   Label . . . . : value`: a dotted leader (`IP Routing Enabled. . . :` has no blank before it).
// Lines are short: the length bound keeps the lazy label from backtracking over long junk lines.
const PAIR = /^\s+(\S[^:]*?)\s*(?:\.\s?){2,}:\s?(.*)$/
// A label as long as the leader's column has no dots (`   Verbindungsspezifisches DNS-Suffix: `).
const BARE_PAIR = /^\s+(\S[^:]*?)\s*:\s?(.*)$/
const HOST_LABEL = /^(?:Host ?Name|Nom de l[’']h[ôo]te|Nombre de host|Nome host|Hostnaam)$/i
/** An adapter's title: not indented, ending with a colon (`Ethernet adapter Ethernet0:`). */
const ADAPTER = /^\S.*:\s*$/
// A value wrapped onto the next line (more DNS servers, IPv6 addresses): indented far, no leader.
const WRAPPED = /^\s{8,}\S/

const pairOf = (text: string) => (text.length <= 400 ? PAIR.exec(text) : null)
const barePairOf = (text: string) => (text.length <= 400 ? BARE_PAIR.exec(text) : null)

class IpconfigLines implements LineParser {
  private readonly host: HostNote
  /** Before the first adapter title: the host block. */
  private inHostBlock = true
  private firstPair = true
  private titled = false

  constructor(private readonly sink: RecordSink) {
    this.host = new HostNote(sink)
  }

  line(raw: string, no: number): void {
    const text = no === 1 && raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw
    if (text.trim() === '') return this.sink.structure()
    if (isTitle(text)) {
      this.titled = true
      return this.sink.structure()
    }
    const pair = pairOf(text) ?? barePairOf(text)
    if (pair) {
      const first = this.firstPair
      this.firstPair = false
      if (HOST_LABEL.test(pair[1]!) || (first && this.titled && this.inHostBlock)) this.host.add(pair[2])
      return this.sink.structure()
    }
    if (ADAPTER.test(text) && text.length <= 400) {
      this.inHostBlock = false
      return this.sink.structure()
    }
    if (WRAPPED.test(text) && !this.firstPair) return this.sink.structure()
    this.sink.skip(no, 'junk', text)
  }

  end(): void {}
}

/** Confidence that `sample` is `ipconfig` output: its title with dotted pairs, or many dotted pairs. */
export function detectIpconfig(sample: string): number {
  const lines = sample.slice(0, 16_384).split(/\r?\n/, 200)
  let title = false
  let pairs = 0
  let other = 0
  for (const l of lines) {
    if (l.trim() === '') continue
    if (isTitle(l)) title = true
    else if (pairOf(l)) pairs++
    else if (!ADAPTER.test(l) && !WRAPPED.test(l)) other++
  }
  if (pairs === 0 || other > pairs) return 0
  if (title) return 0.9
  return pairs >= 4 ? 0.6 : 0
}

export const ipconfigParser = defineFormat({
  id: 'ipconfig',
  title: 'ipconfig /all',
  version: '1.0',
  description: 'ipconfig /all (any language): the host name, read to tell machines apart',
  commands: ['ipconfig /all'],
  // a `host` note only: it tells machines apart
  records: [],
  samples: [
    {name: 'English', file: 'corpus/ipconfig/en-us-all.txt'},
    {name: 'German', file: 'corpus/ipconfig/de-de-all.txt'},
  ],
  detect: detectIpconfig,
  create: (sink: RecordSink): LineParser => new IpconfigLines(sink),
})
