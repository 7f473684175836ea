/**
 * Rows a netstat parser hands to the aggregator in runs, without a record or a call per row: the compiled
 * kernel (kernel/netstat.ts, `lane`) parses and aggregates every line of a stretch that is a plain row it
 * can key itself (in `-b` loops, with the owner lines after it when they are those it learned for the
 * row's PID), and stops before the first other line (which the parser then reads the usual way).
 * Offered by sinks that only aggregate, or only count (see RecordSink.rowLane); line numbers are the
 * parser's. KernelLane (kernel-lane.ts) is the one implementation, for the aggregator and counting-lane.ts.
 */
export interface RowLane {
  /** Copies buf[start, end) into the kernel; later `take` calls read from it. False when it cannot (then no lane). */
  stage(buf: Uint8Array, start: number, end: number): boolean
  /**
   * Takes rows from the staged bytes at `start` (an offset in the staged buffer), the first on line `line`;
   * `starId` is the address id of `*`; with `owners` (the loop has owner lines) rows followed by the owner
   * lines it learned for their PID too. Returns how many lines (0: the first line is not one it takes), or
   * -1 when `flushFirst` and it would take some: the caller hands on the row it holds, then asks again.
   */
  take(start: number, line: number, starId: number, flushFirst: boolean, owners: boolean): number
  /**
   * The row of line `line` (PID `pid`), just handed on, was followed by the owner lines at staged bytes
   * [start, end) (complete lines, each taken as an owner line, then a row): `take` may take them after
   * that PID's rows from now on, to the same process slot.
   */
  learn(start: number, end: number, pid: number, line: number): void
  /** After a `take` that took rows: where they end (an offset in the staged buffer), and what they held. */
  readonly runEnd: number
  readonly runBound: boolean
  readonly runPid: boolean
  /** Of the lines taken, the owner lines (the rest are rows). */
  readonly runOwnerLines: number
  /** Rows taken per state: [0] UDP rows, [k] TCP rows in state TCP_STATES[k - 1]. */
  readonly runCounts: Int32Array
}
