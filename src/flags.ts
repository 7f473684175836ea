import {Flags} from '@oclif/core'

import {formatIds} from './formats/registry.js'
import {NATIVE_ENCODINGS} from './input/encoding.js'

/**
 * `--format ID`: one of the registry's ids (`portleak formats` lists them with what each reads), plus
 * `extra` values a command gives the flag (report: `md`, `html`). Unknown ids are refused before run().
 */
export const formatFlag = <const E extends string = never>(extra: readonly E[] = []) =>
  Flags.option({
    description: 'Input format id (default: detected per input from its content). `portleak formats` lists the ids and what each reads.',
    helpValue: '<id>',
    options: [...formatIds(), ...extra] as const,
  })()

/** Flags every command that reads inputs shares. */
export const inputFlags = {
  'date-order': Flags.option({
    description: 'Day/month order for ambiguous stamps like 03/04/2023 (default: decided from the whole file).',
    options: ['dmy', 'mdy', 'ymd'] as const,
  })(),
  encoding: Flags.string({
    description: `Input encoding (default: detected per input). E.g. ${NATIVE_ENCODINGS.join(', ')}, cp437, cp850, cp866, cp932, cp936, cp1252.`,
  }),
  format: formatFlag(),
  'max-bytes': Flags.integer({
    description: 'Stop reading any one input after this many bytes (a stdin or FIFO that never ends); results are flagged partial.',
    min: 1,
  }),
  'max-seconds': Flags.integer({
    description: 'Stop reading after this many seconds, as Ctrl-C does; results are flagged partial.',
    min: 1,
  }),
  tz: Flags.string({
    description: 'Time zone of the stamps (IANA name like Europe/Berlin, or +01:00, or UTC): times are printed with that offset. Default: times as written, without a zone.',
  }),
}

/** Flags of the commands that analyze (analyze, report, export, timeline). */
export const analysisFlags = {
  ...inputFlags,
  'dynamic-range': Flags.string({
    description: 'Dynamic TCP port range START-END (e.g. 49152-65535) when no netsh output is among the inputs.',
  }),
  host: Flags.string({
    description: 'Analyze only this machine when the inputs come from several (a host name, folder name or address the fleet table shows).',
  }),
  'one-machine': Flags.boolean({
    description: 'Read every input as one machine\'s: no split by host name, folder, file name or local address.',
    default: false,
  }),
}
