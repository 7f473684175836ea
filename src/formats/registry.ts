import {evtxParser} from './evtx/index.js'
import {getNetTcpConnectionParser} from './get-nettcpconnection/index.js'
import {handleExeParser} from './handle-exe/index.js'
import {kernelDumpParser} from './kernel-dump/index.js'
import {minidumpParser} from './minidump/index.js'
import {loopNoise} from './shared/loop-noise.js'
import {netshDynamicPortParser} from './netsh/dynamicport.js'
import {netshExcludedPortRangeParser} from './netsh/excludedportrange.js'
import {netshTraceParser} from './netsh/trace.js'
import {netstatParser} from './netstat/index.js'
import {processListParser} from './process-list/index.js'
import {tcpipEventsParser} from './events/index.js'
import {volatilityHandlesParser} from './volatility/handles.js'
import {volatilityNetscanParser} from './volatility/netscan.js'
import {volatilityPslistParser} from './volatility/pslist.js'
import {windbgHandleParser} from './windbg/handle.js'
import {windbgProcessParser} from './windbg/process.js'
import type {FormatId, Parser} from './types.js'

/** Every parser, most specific first (order matters only for ties). New formats: add one line here. */
export const parsers: readonly Parser[] = [
  netstatParser, getNetTcpConnectionParser, netshDynamicPortParser, handleExeParser, processListParser, tcpipEventsParser,
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
]

export function getParser(id: string): Parser | undefined {
  return parsers.find((p) => p.id === id)
}

export const formatIds = (): FormatId[] => parsers.map((p) => p.id)

/** The parser most confident about `sample`, if any is at least 0.5 confident. */
export function detectFormat(sample: string): {parser: Parser; confidence: number} | undefined {
  let best: {parser: Parser; confidence: number} | undefined
  for (const parser of parsers) {
    let confidence = 0
    try {
      confidence = parser.detect(sample)
    } catch {
      confidence = 0
    }
    if (confidence >= 0.5 && confidence > (best?.confidence ?? 0)) best = {parser, confidence}
  }
  return best
}

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
