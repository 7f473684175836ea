import {readFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'

import {createDecoder, sniffEncoding} from '../../src/input/encoding.js'
import {inspectInputs} from '../../src/pipeline.js'
import {accountedLines, parseText, splitLines} from '../../src/formats/shared/collect.js'
import type {Format, FormatSample} from '../../src/formats/types.js'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))

/** What reading one of a format's samples showed. */
export type SampleResult = {
  name: string
  /** The format detection chose (through the input layer for files), or null. */
  detected: string | null
  /** Record kinds the sample yielded. */
  kinds: string[]
  records: number
  /** Lines of the sample, and lines the parser accounted for (record, structure or skipped); 0 for binary formats. */
  lines: number
  accounted: number
}

/** Reads one sample as portleak would: detection picks a format, the format's parser reads it. */
export async function readSample(format: Format, sample: FormatSample, detect: (text: string) => string | null): Promise<SampleResult> {
  if ('lines' in sample) {
    const text = `${sample.lines.join('\r\n')}\r\n`
    const c = parseText(format, text)
    const kinds = [...new Set(c.records.map((r) => r.kind))]
    return {name: sample.name, detected: detect(text), kinds, records: c.records.length, lines: sample.lines.length, accounted: accountedLines(c)}
  }
  const path = `${ROOT}${sample.file}`
  const summary = (await inspectInputs([path], {})).inputs[0]!
  const kinds = Object.keys(summary.byKind).filter((k) => summary.byKind[k]! > 0)
  const base = {name: sample.name, detected: summary.format, kinds, records: summary.records}
  if (format.binary) return {...base, lines: 0, accounted: 0}
  // Decoded as the input layer decoded it (its encoding), then read line by line to check the accounting.
  const bytes = readFileSync(path)
  const {bomLength} = sniffEncoding(bytes.subarray(0, 4))
  const d = createDecoder(summary.encoding)
  const text = d.write(bytes.subarray(bomLength)) + d.end()
  const c = parseText(format, text)
  return {...base, lines: splitLines(text).lines.length, accounted: accountedLines(c)}
}
