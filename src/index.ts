/**
 * portleak as a library: the same pipeline the CLI runs, without oclif. Nothing here touches the
 * terminal or the network.
 *
 *   import {runAnalysis, renderMarkdown} from 'portleak'
 *   const analysis = await runAnalysis(['upload.zip'], {})
 *   analysis.document   // the portleak/analysis@1 document (`portleak analyze --json`)
 *
 * Errors about inputs and options are `PortleakError`s (a one-line message, a code, suggestions).
 */

// The pipeline: read inputs (files, folders, archives), describe them, analyze one machine or a fleet.
export {
  checkOptions,
  type Fleet,
  fleetDocument,
  type InspectDocument,
  inspectInputs,
  type MachineAnalysis,
  type PipelineOptions,
  parseRange,
  runAnalysis,
  runFleet,
} from './pipeline.js'
export {ExitCode, type ErrorCode, PortleakError} from './errors.js'

// The documents (`portleak/inspect@1`, `portleak/analysis@1`, `portleak/fleet@1`) and their parts.
export type * from './model/types.js'
export type {ConnectionRecord, DateOrder, EventRecord, FormatId, HandleCountRecord, HandleRecord, PortRangeRecord, ProcessRecord, Proto, RecordKind, SkipReason, TcpState, WallTime} from './model/records.js'
export {TCP_STATES} from './model/records.js'

// The formats: the registry's list, lookup and detection, and the contract a format module fulfils.
export {detectFormat, type FormatEntry, formatIds, formatList, formats, getParser} from './formats/registry.js'
export type {Format, FormatSample, LineParser, ParseOptions, Parser, RecordSink, SnapshotMark} from './formats/types.js'
export {parseText, type Collected, type CollectedRecord} from './formats/shared/collect.js'

// Renderers: the incident report (markdown, self-contained HTML), one machine or several.
export type {ReportOptions} from './report/model.js'
export {renderMarkdown} from './report/markdown.js'
export {renderHtml} from './report/html.js'
export {renderFleetHtml, renderFleetMarkdown} from './report/fleet.js'
