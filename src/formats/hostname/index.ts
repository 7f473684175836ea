/**
 * `hostname > hostname.txt`: the machine's host name alone on one line. Read for the `host` note.
 * Detection is strict, since any one-word file would otherwise pass: one line, a host name with a digit
 * or a hyphen (`SRV-WEB01`, `DESKTOP-7QK2M1`, `WEB01`), nothing else.
 */
import {hostName, HostNote} from '../shared/host-name.js'
import {defineFormat, type LineParser, type RecordSink} from '../types.js'

const SHAPE = /^[A-Za-z0-9][A-Za-z0-9-]{0,62}$/

class HostnameLines implements LineParser {
  private readonly host: HostNote

  constructor(private readonly sink: RecordSink) {
    this.host = new HostNote(sink)
  }

  line(raw: string, no: number): void {
    const text = no === 1 && raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw
    if (text.trim() === '') return this.sink.structure()
    if (!this.host.done && SHAPE.test(text.trim()) && this.host.add(text)) return this.sink.structure()
    this.sink.skip(no, 'junk', text)
  }

  end(): void {}
}

/** Confidence that `sample` is `hostname` output: one host-shaped word with a digit or hyphen, nothing else. */
export function detectHostname(sample: string): number {
  if (sample.length > 300) return 0
  const s = (sample.charCodeAt(0) === 0xfeff ? sample.slice(1) : sample).trim()
  return SHAPE.test(s) && /[\d-]/.test(s) && hostName(s) !== null ? 0.6 : 0
}

export const hostnameParser = defineFormat({
  id: 'hostname',
  title: 'hostname',
  version: '1.0',
  description: 'hostname: the host name alone, read to tell machines apart',
  commands: ['hostname'],
  // a `host` note only: it tells machines apart
  records: [],
  samples: [
    {name: 'the host name alone', file: 'corpus/hostname/hostname.txt'},
  ],
  detect: detectHostname,
  create: (sink: RecordSink): LineParser => new HostnameLines(sink),
})
