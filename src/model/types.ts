import type {DateOrder, FormatId, SkipReason, TcpState, WallTime} from './records.js'

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
  /** How the date order was chosen: `flag`, `unambiguous`, `evidence`, `weekday`, `chronology`, `assumed`. */
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
export type DynamicRange = {
  start: number
  count: number
  source: RangeSource
  path?: string
  /** Excluded blocks (`show excludedportrange`) inside the range, clipped to it; absent when none was read. */
  excluded?: {start: number; count: number; administered: boolean; path: string}[]
  /** Ports of the range dynamic allocation can use: count minus the excluded blocks (percentages, severities, projections). */
  usable?: number
}

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
  /** TCP ports it listened on (distinct, ascending, at most LISTEN_PORTS_KEPT); absent when none was seen. */
  listeners?: number[]
  /** Its busiest remote endpoints by connections over time (from the capped per-snapshot counters), most first. */
  remotes?: RemoteEndpoint[]
}

/** Handle counts of one process over time (from handle listings, process lists, dumps). */
export type HandleSeries = {
  pid: number
  name: string | null
  /** Seconds its listings lie outside the snapshots' span: kept apart, never joined to the loop's processes by PID. */
  outsideSeconds?: number
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
  /** Seconds before (negative) or after (positive) the snapshots' span, when the event lies outside it. */
  outsideSeconds?: number
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
  /**
   * Per snapshot: true when its rows carry no local ports (Group-Object summaries); `ephemeralInUse` is
   * then the count of its port-holding rows, and which ports they are is unknown. Absent when none is.
   */
  portsUnknown?: boolean[]
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
  | 'port-holder'

/** The ports one process holds at one snapshot (a `port-holder` finding, or a growth finding's holder). */
export type HolderFact = {
  /** Timeline index (0-based) of the snapshot. */
  snapshot: number
  at: IsoTime | null
  /** Ports held: distinct local ports in the dynamic range plus TIME_WAIT rows (or, with `portsUnknown`, rows). */
  ports: number
  /** `ports` as a share of the TCP dynamic range (0–1, three decimals). */
  share: number
  /** Rows per TCP state (LISTENING left out). */
  byState: Record<string, number>
  /** PID-0 TIME_WAIT rows counted for this process by lineage or remote endpoint (included in `byState.TIME_WAIT`). */
  timeWaitAttributed: number
}

/** Which test fired, on which window, and how the hypothesis was counted: the finding's `test` evidence. */
export type TestEvidence = {
  /** `mann-kendall-calibrated` (docs/detection.md); sawtooth folds combine their segments' by Fisher. */
  name: string
  /** Timeline positions of the window the test fired on. */
  window: {first: number; last: number}
  /** Windows tested for this series (the Bonferroni factor paid for choosing one). */
  windows: number
  /** The window's p-value, the hypothesis' p-value (× windows or combined), and Benjamini-Hochberg's. */
  windowP: number
  p: number
  adjustedP: number
  /** Hypotheses under the false discovery rate control (each reported series once, folds included), and q. */
  hypotheses: number
  q: number
  /** The host's common load rose in the window: the series also had to rise relative to it. */
  loadAdjusted: boolean
  /** Of the window's tests, the one with the smallest p (docs/detection.md); absent for a sawtooth fold. */
  fired?: 'mann-kendall-means' | 'gls-slope' | 'gls-slope-line' | 'random-walk-rise' | 'mann-kendall-floor'
  /** Sawtooth: how the segments were joined (same image name, or without names: a remote endpoint or a pattern). */
  joins?: {from: number; to: number; reason: string}[]
}

/**
 * A cited source line. `text` says what the line shows (a stamp, a handle count, an event);
 * `quote` is the line itself as read (re-read after the analysis, first few per finding; absent for
 * standard input, FIFOs, binary inputs and lines not quoted). Renderers make it inert.
 */
export type Evidence = {path: string; line: number; time: IsoTime | null; text?: string; quote?: string}

/** A remote endpoint a process talked to: connections at its peak, summed over snapshots, and where first/last seen. */
export type RemoteEndpoint = {
  /** `address:port` (IPv6 as `[addr]:port`). */
  endpoint: string
  /** Most connections in one snapshot. */
  peak: number
  /** Connections summed over the snapshots (connection-snapshots: a TCPView count over time). */
  total: number
  /** Snapshots the endpoint was among the process's busiest in. */
  snapshots: number
  /** Timeline positions (0-based) of the first and last such snapshot. */
  first: number
  last: number
}

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
  /** Port findings of named processes: their busiest remote endpoints by connections over time, most first (at most 5). */
  remotes?: RemoteEndpoint[]
  summary: string
  evidence: Evidence[]
  /**
   * Who holds the range: at the peak of range use, and at the last snapshot (null when the process is
   * not in it). `portsUnknown`: counts from Group-Object summaries, which do not say which ports.
   */
  holder?: {peak: HolderFact; last: HolderFact | null; portsUnknown: boolean}
  /** Handle findings: the process's `\Device\Afd` (socket) handles at the listing cited. */
  afd?: number | null
  /** Which estimate `slopePerHour` is when it is not the fit that `slopeLow`–`slopeHigh` bound. */
  slopeEstimate?: string
  /** Points the finding rests on (1 for a single listing or snapshot); growth needs several. */
  samples?: number
  /** Growth findings: which test fired, on which window (positions), and how the hypothesis was counted. */
  test?: TestEvidence
  /** Growth findings: when the growth ran; `stopped` when it went flat before the end (slope is the growing part's). */
  growth?: {start: IsoTime | null; end: IsoTime | null; stopped: boolean}
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
  events: {id: number; time: IsoTime | null; source: string; path: string; line: number; message: string; outsideSeconds?: number}[]
  nextSteps: string[]
  /**
   * Every input's own time span, and how far it lies outside the snapshots' span (seconds, negative before,
   * positive after; 0 when they overlap; null when either has no times). Evidence outside is not joined to
   * the loop's processes by PID (a PID from another day is another process).
   */
  spans?: {path: string; start: IsoTime | null; end: IsoTime | null; outsideSeconds: number | null}[]
}

/** What `analyze` computes: the JSON document plus the series renderers draw. */
export type Analysis = {document: AnalysisDocument; timeline: Timeline}

/** One machine (or one timeline of a machine) of a fleet, as the fleet table shows it. */
export type FleetMachine = {
  /** Machine name (null: the inputs name no machine). */
  machine: string | null
  /** 1, 2… when one machine's loops run side by side as separate timelines; else null. */
  timeline: number | null
  verdict: Verdict['status']
  peakUtilization: number
  /** The first finding (most severe), if any. */
  topCulprit: {pid: number | null; process: string | null; state: string; severity: Severity} | null
  /** First and last time any of its evidence speaks of (snapshots, events, handle listings). */
  evidenceSpan: {start: IsoTime; end: IsoTime} | null
  /** Its inputs and how each was found to be this machine's. */
  inputs: {path: string; how: string}[]
  notes: string[]
}

/**
 * The `portleak/fleet@1` document: an upload of several machines (or timelines). One `analysis@1`
 * document per machine, in the fleet table's order. Extend, never rename or drop fields.
 */
export type FleetDocument = {
  schema: 'portleak/fleet@1'
  inputs: InputSummary[]
  machines: FleetMachine[]
  analyses: AnalysisDocument[]
}
