import type {Readable} from 'node:stream'

import {PortleakError} from './errors.js'
import {isKnownEncoding} from './input/encoding.js'
import {ingest, type Progress} from './input/ingest.js'
import {zoneTimes} from './model/time-zone.js'
import type {InputSummary} from './model/types.js'
import {getParser} from './parsers/registry.js'
import type {DateOrder, FormatId} from './parsers/types.js'

export type PipelineOptions = {
  format?: string | undefined
  encoding?: string | undefined
  dateOrder?: DateOrder | undefined
  tz?: string | undefined
  dynamicRange?: string | undefined
  host?: string | undefined
  signal?: AbortSignal | undefined
  onProgress?: ((p: Progress) => void) | undefined
  stdin?: (() => Readable) | undefined
}

/** The `portleak/inspect@1` document. Extend, never rename or drop fields. */
export type InspectDocument = {schema: 'portleak/inspect@1'; inputs: InputSummary[]}

export function checkOptions(o: PipelineOptions): {format: FormatId | undefined} {
  if (o.format && !getParser(o.format)) throw new PortleakError(`unknown format '${o.format}'`, 'EUSAGE', ['Run `portleak formats` to list the format ids.'])
  if (o.encoding && !isKnownEncoding(o.encoding))
    throw new PortleakError(`unknown encoding '${o.encoding}'`, 'EUSAGE', ['Use utf-8, utf-16le, utf-16be or a code page such as cp850, cp1252, cp932.'])
  return {format: o.format as FormatId | undefined}
}

/** Reads every input and describes it: format, encoding, snapshots, time range, counts, skipped lines. */
export async function inspectInputs(inputs: readonly string[], o: PipelineOptions): Promise<InspectDocument> {
  const {format} = checkOptions(o)
  const summaries = await ingest(inputs, {...o, format}, () => null)
  return {schema: 'portleak/inspect@1', inputs: summaries.map((s) => zoneTimes(s, o.tz))}
}
