/**
 * `Export-Csv` of Get-NetTCPConnection / Get-NetUDPEndpoint objects: a header naming the CIM properties
 * (any order, any subset with LocalPort), values quoted, comma or culture delimiter (`-UseCulture`: `;`).
 */
import type PapaParse from 'papaparse'

import {lazy} from '../../lazy.js'
import {emptyFields, type ConnectionFields, FIELD_OF_PROPERTY} from './fields.js'

const papa = lazy<typeof PapaParse>('papaparse')

type Field = keyof ConnectionFields

export type CsvLayout = {
  readonly delimiter: string
  /** Column index of each connection field, -1 when absent. */
  readonly index: Readonly<Record<Field, number>>
  /** True when the header has remote/state columns (a TCP export). */
  readonly tcp: boolean
}

const HEADER_FIELD = /(?:^|[",;\t])LocalPort(?:[",;\t]|$)/

function count(text: string, ch: string): number {
  let n = 0
  for (let i = text.indexOf(ch); i !== -1; i = text.indexOf(ch, i + 1)) n++
  return n
}

/** Parses one CSV record (possibly spanning lines joined with `\n`) into its fields. */
export function csvRecord(text: string, delimiter: string): string[] {
  const result = papa().parse<string[]>(text, {delimiter, newline: '\n', header: false, skipEmptyLines: false})
  return result.data[0] ?? []
}

/** The layout of an Export-Csv header line, or null when the line is not one. */
export function parseCsvHeader(text: string): CsvLayout | null {
  if (!HEADER_FIELD.test(text)) return null
  const counts = [',', ';', '\t'].map((d) => [d, count(text, d)] as const)
  const [delimiter, n] = counts.reduce((a, b) => (b[1] > a[1] ? b : a))
  if (n === 0) return null
  const names = csvRecord(text, delimiter).map((s) => s.trim())
  const index: Record<Field, number> = {
    localAddress: -1,
    localPort: -1,
    remoteAddress: -1,
    remotePort: -1,
    state: -1,
    owningProcess: -1,
    creationTime: -1,
    computer: -1,
  }
  names.forEach((name, i) => {
    const field = Object.hasOwn(FIELD_OF_PROPERTY, name) ? FIELD_OF_PROPERTY[name] : undefined
    if (field && index[field] === -1) index[field] = i
  })
  if (index.localPort === -1) return null
  const tcp = index.remoteAddress !== -1 || index.remotePort !== -1 || index.state !== -1
  return {delimiter, index, tcp}
}

/** True while a record's quotes are unbalanced (a quoted value continues on the next line). */
export const quotesOpen = (text: string) => count(text, '"') % 2 === 1

/** Connection fields of one data record, or null when it has too few columns. */
export function csvFields(layout: CsvLayout, text: string): ConnectionFields | null {
  const values = csvRecord(text, layout.delimiter)
  if (values.length <= layout.index.localPort) return null
  const f = emptyFields()
  for (const key of Object.keys(layout.index) as Field[]) {
    const i = layout.index[key]
    if (i >= 0) f[key] = values[i]
  }
  return f
}
