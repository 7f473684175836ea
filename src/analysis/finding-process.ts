import type {Finding, ProcessSeries} from '../model/types.js'

/** The PIDs a finding names (its `pids`, else its `pid`). */
export const findingPids = (f: Pick<Finding, 'pid' | 'pids'>): number[] => (f.pids.length ? [...f.pids] : f.pid !== null ? [f.pid] : [])

/**
 * Whether a finding is about this process identity, for the report's culprit charts and the TUI's flags.
 * PIDs are reused, so a PID match also needs the image name to agree when both are known (an empty name is
 * unknown); a finding that names no PID is about the processes of its image name.
 */
export function findingMatches(f: Pick<Finding, 'pid' | 'pids' | 'process'>, p: Pick<ProcessSeries, 'pid' | 'name'>): boolean {
  const pids = findingPids(f)
  if (pids.length) return pids.includes(p.pid) && (f.process === null || !p.name || f.process === p.name)
  return f.process !== null && f.process === p.name
}
