import type {DateOrder, FormatId, SkipReason, TcpState, WallTime} from '../parsers/types.js'

/** ISO 8601 without a zone (or with one when `--tz` is given). */
export type IsoTime = string

/** One input as `inspect` describes it: an element of `inputs[]` in both JSON documents. */
export type InputSummary = {
  /** Display path; archive entries as `upload.zip!logs/netstat.txt`. */
  path: string
  format: FormatId | null
  encoding: string
  /** Bytes read (decompressed size for archive entries). */
  bytes: number
  /** SHA-256 of the bytes read, hex. */
  sha256: string
  lines: number
  snapshots: number
  truncatedSnapshots: number
  timeRange: {start: IsoTime; end: IsoTime} | null
  dateOrder: DateOrder | null
  /** How the date order was chosen: `flag`, `unambiguous`, `evidence`, `chronology`, `assumed`. */
  dateOrderSource: string | null
  records: number
  byProto: Record<string, number>
  byState: Record<string, number>
  /** Records by kind: connection, process, handle, handleCount, event, portRange. */
  byKind: Record<string, number>
  /** Event records by `Provider/EventId` (inputs with events only). */
  byEvent?: Record<string, number>
  skipped: number
  skippedByReason: Partial<Record<SkipReason, number>>
  /** The first few skipped lines per reason, for the engineer to judge. */
  skippedExamples: {line: number; reason: SkipReason; text: string}[]
  /** Facts the parser noted (view, host…). */
  notes: Record<string, string>
  /** Why the input could not be read (or was read only in part), else null. */
  error: string | null
}

export type RangeSource = 'default' | 'netsh' | 'flag'
export type DynamicRange = {start: number; count: number; source: RangeSource; path?: string}

/** Key of a process identity: PID plus image name (a PID whose image changes is a new process). */
export type ProcessKey = string

/** Port usage series of one process identity, aligned with `Timeline.times`. */
export type ProcessSeries = {
  key: ProcessKey
  pid: number
  name: string | null
  /** Index of the first and last snapshot the process has rows in (attributed TIME_WAIT rows included). */
  first: number
  last: number
  /** First and last snapshot with rows of its own (attributed TIME_WAIT rows linger after a process exits). */
  seenFirst?: number
  seenLast?: number
  /** Rows per TCP state per snapshot (TIME_WAIT includes rows attributed to this process). */
  byState: Partial<Record<TcpState, Int32Array>>
  /** TIME_WAIT rows attributed to this process (a subset of byState.TIME_WAIT). */
  timeWaitAttributed: Int32Array
  /** Of those, the rows attributed by remote-endpoint affinity (the rest by tuple lineage). */
  timeWaitAffinity?: Int32Array
  /** UDP endpoints per snapshot. */
  udp: Int32Array
  /** Distinct local ports held (all states that hold a port, TCP and UDP) per snapshot. */
  ports: Int32Array
  /** Distinct local ports inside the dynamic range per snapshot. */
  ephemeral: Int32Array
}

/** Handle counts of one process over time (from handle listings, process lists, dumps). */
export type HandleSeries = {
  pid: number
  name: string | null
  points: {time: WallTime | null; total: number | null; afd: number | null; path: string; line: number}[]
}

export type EventMarker = {
  id: number
  time: WallTime | null
  /** Index of the snapshot at or before the event, -1 when none. */
  snapshot: number
  source: string
  message: string
  path: string
  line: number
}

/** Everything the renderers (report, TUI, export) need, aligned per snapshot. */
export type Timeline = {
  times: (WallTime | null)[]
  truncated: boolean[]
  /** Rows per snapshot (all inputs). */
  rows: Int32Array
  /** Highest number of dynamic-range TCP ports in use on one local address, per snapshot. */
  ephemeralInUse: Int32Array
  /** That local address per snapshot ('' when none). */
  ephemeralAddr: string[]
  /** Rows per TCP state per snapshot, all processes. */
  totalsByState: Partial<Record<TcpState, Int32Array>>
  processes: ProcessSeries[]
  handles: HandleSeries[]
  events: EventMarker[]
  /** Where each timeline position comes from: the input's path and the snapshot's index within it. */
  sources?: {path: string; index: number}[]
}

export type Severity = 'critical' | 'high' | 'medium' | 'low'
export type FindingKind =
  | 'monotonic-growth'
  | 'sawtooth-growth'
  | 'high-handle-count'
  | 'handle-growth'
  | 'afd-growth'
  | 'remote-endpoint-growth'
  | 'dump-top-holder'
  | 'socket-allocation-rate'

export type Evidence = {path: string; line: number; time: IsoTime | null; text?: string}

export type Finding = {
  kind: FindingKind
  pid: number | null
  pids: number[]
  process: string | null
  /** TCP state, or `PORTS` (distinct local ports held), `HANDLES`, `AFD`, `UDP`. */
  state: string
  severity: Severity
  slopePerHour: number | null
  slopeLow: number | null
  slopeHigh: number | null
  /** Snapshot indexes (0-based) of the growth window. */
  first: number
  last: number
  growthStart: IsoTime | null
  start: number
  now: number
  peak: number
  pValue: number | null
  projectedExhaustion: IsoTime | null
  attribution: 'owner' | 'lineage' | 'remote-affinity' | null
  remote?: string
  summary: string
  evidence: Evidence[]
}

export type Verdict = {
  status: 'exhausted' | 'at-risk' | 'healthy'
  peakUtilization: number
  peakAt: IsoTime | null
  evidence: string[]
}

export type ProcessSummary = {
  pid: number
  name: string | null
  firstSeen: IsoTime | null
  lastSeen: IsoTime | null
  peak: Record<string, number>
  now: Record<string, number>
  handles: {peak: number; afdPeak: number | null} | null
}

export type Sampling = {
  timed: boolean
  medianIntervalSeconds: number | null
  minIntervalSeconds: number | null
  maxIntervalSeconds: number | null
  gaps: {after: IsoTime; seconds: number}[]
  backwardSteps: number
  /** Snapshots without a time in inputs that have times: left off the timeline (they cannot be placed). */
  untimedSnapshots?: number
}

/** The `portleak/analysis@1` document. Extend, never rename or drop fields. */
export type AnalysisDocument = {
  schema: 'portleak/analysis@1'
  host: string | null
  inputs: InputSummary[]
  snapshots: number
  timeRange: {start: IsoTime; end: IsoTime} | null
  dynamicRange: {tcp: DynamicRange; udp: DynamicRange}
  verdict: Verdict
  processes: ProcessSummary[]
  findings: Finding[]
  attribution: {timeWait: {total: number; owner: number; lineage: number; remoteAffinity: number; unattributed: number}}
  sampling: Sampling
  events: {id: number; time: IsoTime | null; source: string; path: string; line: number; message: string}[]
  nextSteps: string[]
}

/** What `analyze` computes: the JSON document plus the series renderers draw. */
export type Analysis = {document: AnalysisDocument; timeline: Timeline}
