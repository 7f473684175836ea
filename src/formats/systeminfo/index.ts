/**
 * `systeminfo`: `Label:   value` pairs with values in one column (`Host Name:                 SRV-WEB01`),
 * continuation lines indented to that column (hotfixes, network cards), or `systeminfo /fo csv` (a header
 * row of labels and one row of values). Read for the machine's host name (the `host` note): the `Host
 * Name` pair by its label in the languages below, else the first pair, which is the host name in every
 * language.
 */
import type PapaParse from 'papaparse'

import {lazy} from '../../lazy.js'
import {HostNote} from '../shared/host-name.js'
import {defineFormat, type LineParser, type RecordSink} from '../types.js'

const papa = lazy<typeof PapaParse>('papaparse')

const HOST_LABEL = /^(?:Host Name|Hostname|Nom de l[’']h[ôo]te|Nombre de host|Nome host|Hostnaam)$/i
const OS_LABEL = /^(?:OS Name|OS Version|Betriebssystemname|Betriebssystemversion|Nom du syst[èe]me d[’']exploitation|Version du syst[èe]me|Nombre del sistema operativo|Versión del sistema operativo)$/i
// `Label:   value` (no blank before the colon; the value may be empty). Lines are short: the bound keeps
// the lazy label from backtracking over long junk lines.
const PAIR = /^([^\s:][^:]{0,60}?):(?:\s+(.*))?$/
// Continuation of a list value (`   [01]: KB5005112`, `   Connection Name: Ethernet0`): indented.
const CONTINUED = /^\s{4,}\S/

const pairOf = (text: string) => (text.length <= 600 ? PAIR.exec(text) : null)
const csvRow = (text: string) => (papa().parse<string[]>(text, {header: false, newline: '\n'}).data[0] ?? []).map((s) => s.trim())
const csvHeader = (text: string) => text.startsWith('"') && text.length <= 8192 && csvRow(text).some((l) => HOST_LABEL.test(l))

class SysteminfoLines implements LineParser {
  private readonly host: HostNote
  private firstPair = true
  /** Column of the host name in a `/fo csv` header, until its row is read. */
  private csvColumn = -1

  constructor(private readonly sink: RecordSink) {
    this.host = new HostNote(sink)
  }

  line(raw: string, no: number): void {
    const text = no === 1 && raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw
    if (text.trim() === '') return this.sink.structure()
    if (this.csvColumn >= 0) {
      this.host.add(csvRow(text)[this.csvColumn])
      this.csvColumn = -1
      return this.sink.structure()
    }
    if (csvHeader(text)) {
      this.csvColumn = csvRow(text).findIndex((l) => HOST_LABEL.test(l))
      return this.sink.structure()
    }
    const pair = pairOf(text)
    if (pair) {
      if (HOST_LABEL.test(pair[1]!.trim()) || this.firstPair) this.host.add(pair[2])
      this.firstPair = false
      return this.sink.structure()
    }
    if (CONTINUED.test(text) && !this.firstPair) return this.sink.structure()
    this.sink.skip(no, 'junk', text)
  }

  end(): void {}
}

/** Confidence that `sample` is `systeminfo` output: a host name label beside an OS label, as pairs or CSV. */
export function detectSysteminfo(sample: string): number {
  const lines = sample.slice(0, 16_384).split(/\r?\n/, 120)
  let host = false
  let os = false
  for (const l of lines) {
    if (l.startsWith('"') && l.length <= 8192) {
      const labels = csvRow(l)
      if (labels.some((x) => HOST_LABEL.test(x)) && labels.some((x) => OS_LABEL.test(x))) return 0.9
      continue
    }
    const pair = pairOf(l)
    if (!pair) continue
    const label = pair[1]!.trim()
    if (HOST_LABEL.test(label)) host = true
    else if (OS_LABEL.test(label)) os = true
  }
  return host && os ? 0.9 : 0
}

export const systeminfoParser = defineFormat({
  id: 'systeminfo',
  title: 'systeminfo',
  version: '1.0',
  description: 'systeminfo, as a list or /fo csv (any language): the host name, read to tell machines apart',
  commands: ['systeminfo', 'systeminfo /fo csv'],
  // a `host` note only: it tells machines apart
  records: [],
  samples: [
    {name: 'English list', file: 'corpus/systeminfo/en-us.txt'},
    {name: 'English CSV', file: 'corpus/systeminfo/en-us-csv.txt'},
    {name: 'French', file: 'corpus/systeminfo/fr-fr.txt'},
  ],
  detect: detectSysteminfo,
  create: (sink: RecordSink): LineParser => new SysteminfoLines(sink),
})
