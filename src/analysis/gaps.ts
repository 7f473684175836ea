/** A step between samples is a gap when at least this long, whatever the cadence (ms). */
const MIN_GAP_MS = 90_000

/**
 * The longest step between consecutive samples (ms) still drawn as a line, given the median step: 3 × the
 * median, at least 90 s. Longer steps are sampling gaps: the report and the TUI draw them as gaps, never
 * interpolated. (The `sampling.gaps` of the JSON document list steps above 3 × the median and 300 s.)
 */
export const maxDrawnStep = (medianStepMs: number): number => Math.max(3 * medianStepMs, MIN_GAP_MS)
