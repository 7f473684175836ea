import type {CaseBuilder} from '../model/case-builder.js'
import {type BuiltTimeline, seriesBySlot} from '../model/timeline.js'
import type {Finding, RemoteEndpoint} from '../model/types.js'

/** Endpoints kept per process and per finding. */
export const REMOTES_PER_PROCESS = 5

const byCount = (a: RemoteEndpoint, b: RemoteEndpoint) =>
  b.total - a.total || b.peak - a.peak || (a.endpoint < b.endpoint ? -1 : a.endpoint > b.endpoint ? 1 : 0)

/**
 * Every process's busiest remote endpoints (TCPView's "which backend is it talking to?"), from the
 * per-snapshot remote counters the aggregator already keeps (REMOTE_CAP busiest endpoints per snapshot,
 * each with the process that mostly owns its connections). Sets `remotes` on the timeline's processes
 * that have any; the per-process tallies live only while this runs.
 */
export function attachRemotes(c: CaseBuilder, b: BuiltTimeline): void {
  const procOfSlot = seriesBySlot(b)
  const tallies = new Map<number, Map<number, RemoteEndpoint>>()
  b.order.forEach((s, t) => {
    const r = c.summaries.remotes(s.summary)
    for (let i = 0; i < r.length; i += 3) {
      const owner = r[i + 2]!
      const p = owner < 0 ? -1 : (procOfSlot[owner] ?? -1)
      if (p < 0) continue
      let mine = tallies.get(p)
      if (!mine) tallies.set(p, (mine = new Map()))
      const key = r[i]!
      const n = r[i + 1]!
      const e = mine.get(key)
      if (e) {
        e.peak = Math.max(e.peak, n)
        e.total += n
        e.snapshots++
        e.last = t
      } else mine.set(key, {endpoint: '', peak: n, total: n, snapshots: 1, first: t, last: t})
    }
  })
  for (const [p, mine] of tallies) {
    for (const [key, e] of mine) e.endpoint = c.agg.endpoints.label(key)
    b.timeline.processes[p]!.remotes = [...mine.values()].sort(byCount).slice(0, REMOTES_PER_PROCESS)
  }
}

/** A port finding's endpoints: those of the processes it names (by PID, and name when both have one), merged. */
export function findingRemotes(f: Finding, b: BuiltTimeline): RemoteEndpoint[] | undefined {
  if (f.kind === 'remote-endpoint-growth' || f.state === 'HANDLES' || f.state === 'AFD') return undefined
  const pids = new Set(f.pids.length ? f.pids : f.pid !== null ? [f.pid] : [])
  const merged = new Map<string, RemoteEndpoint>()
  for (const p of b.timeline.processes) {
    if (!pids.has(p.pid) || !p.remotes || (f.process !== null && p.name !== null && p.name.toLowerCase() !== f.process.toLowerCase())) continue
    for (const e of p.remotes) {
      const m = merged.get(e.endpoint)
      if (!m) merged.set(e.endpoint, {...e})
      else {
        m.peak = Math.max(m.peak, e.peak)
        m.total += e.total
        m.snapshots += e.snapshots
        m.first = Math.min(m.first, e.first)
        m.last = Math.max(m.last, e.last)
      }
    }
  }
  return merged.size ? [...merged.values()].sort(byCount).slice(0, REMOTES_PER_PROCESS) : undefined
}
