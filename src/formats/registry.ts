import {evtxParser} from './evtx/index.js'
import {getNetTcpConnectionParser} from './get-nettcpconnection/index.js'
import {hostnameParser} from './hostname/index.js'
import {ipconfigParser} from './ipconfig/index.js'
import {handleExeParser} from './handle-exe/index.js'
import {kernelDumpParser} from './kernel-dump/index.js'
import {minidumpParser} from './minidump/index.js'
import {loopNoise} from './shared/loop-noise.js'
import {netshDynamicPortParser} from './netsh/dynamicport.js'
import {netshExcludedPortRangeParser} from './netsh/excludedportrange.js'
import {netshTraceParser} from './netsh/trace.js'
import {netstatParser} from './netstat/index.js'
import {processListParser} from './process-list/index.js'
import {systeminfoParser} from './systeminfo/index.js'
import {tcpipEventsParser} from './events/index.js'
import {volatilityHandlesParser} from './volatility/handles.js'
import {volatilityNetscanParser} from './volatility/netscan.js'
import {volatilityPslistParser} from './volatility/pslist.js'
import {windbgHandleParser} from './windbg/handle.js'
import {windbgProcessParser} from './windbg/process.js'
import type {RecordKind} from '../model/records.js'
import type {Format, Parser} from './types.js'

/**
 * Every format, most specific first (order matters only for ties). The one list: `FormatId`, the
 * `--format` options, `portleak formats`, docs/formats.md and the schema enums come from it
 * (`npm run gen:docs` rewrites the docs). New format: one folder with its module, one line here.
 */
export const formats = [
  netstatParser,
  getNetTcpConnectionParser,
  netshDynamicPortParser,
  handleExeParser,
  processListParser,
  tcpipEventsParser,
  netshTraceParser,
  netshExcludedPortRangeParser,
  windbgHandleParser,
  windbgProcessParser,
  volatilityNetscanParser,
  volatilityHandlesParser,
  volatilityPslistParser,
  minidumpParser,
  kernelDumpParser,
  evtxParser,
  ipconfigParser,
  systeminfoParser,
  hostnameParser,
] as const satisfies readonly Format[]

/** Format ids are a contract (`inputs[].format` in the JSON documents): extend, never rename. */
export type FormatId = (typeof formats)[number]['id']

/** One readable format as `portleak formats --json` and the library list it (see `Format`). */
export type FormatEntry = {
  /** The id to give with `--format`, and `inputs[].format` in the JSON documents. */
  id: string
  title: string
  version: string
  /** What it reads. */
  description: string
  /** Commands whose output it reads. */
  commands: string[]
  /** Record kinds it yields. */
  records: RecordKind[]
  /** Read as bytes (event log files, dumps) rather than as text lines. */
  binary: boolean
}

/** Lookup and detection over a list of formats (the registry's own below; a test may add formats). */
export function registryOf(list: readonly Parser[]) {
  return {
    parsers: list,
    getParser: (id: string): Parser | undefined => list.find((p) => p.id === id),
    formatIds: (): FormatId[] => list.map((p) => p.id),
    /** Every format with what it reads, in the list's order (plain data: `portleak formats --json`). */
    formatList: (): FormatEntry[] =>
      list.map((p) => ({
        id: p.id,
        title: p.title,
        version: p.version,
        description: p.description,
        commands: [...p.commands],
        records: [...p.records],
        binary: p.binary !== undefined,
      })),
    /** The parser most confident about `sample`, if any is at least 0.5 confident. */
    detectFormat(sample: string): {parser: Parser; confidence: number} | undefined {
      let best: {parser: Parser; confidence: number} | undefined
      for (const parser of list) {
        let confidence = 0
        try {
          confidence = parser.detect(sample)
        } catch {
          confidence = 0
        }
        if (confidence >= 0.5 && confidence > (best?.confidence ?? 0)) best = {parser, confidence}
      }
      return best
    },
  }
}

export const {parsers, getParser, formatIds, formatList, detectFormat} = registryOf(formats)

/**
 * Where `text` starts after its leading noise: blank lines and the lines a loop writes between
 * snapshots (`ping -t` replies, echoed commands, prompts). A loop that pinged for minutes before its
 * first snapshot fills the detection sample with such lines; detection then looks past them.
 */
export function noiseEnd(text: string): number {
  let start = 0
  while (start < text.length) {
    const nl = text.indexOf('\n', start)
    if (nl === -1) return start
    const trimmed = text.slice(start, nl).trim()
    if (trimmed !== '' && loopNoise(trimmed) === null) return start
    start = nl + 1
  }
  return start
}
