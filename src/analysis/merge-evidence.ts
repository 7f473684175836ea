import type {CaseBuilder, EventPoint} from '../model/case-builder.js'
import type {Evidence, Finding, HandleSeries} from '../model/types.js'
import {formatWallTime} from '../formats/shared/timestamps.js'
import {PROOF} from './verdict.js'

const MAX_EVIDENCE = 12

const sameProcess = (f: Pick<Finding, 'pid' | 'pids' | 'process'>, pid: number, name: string | null) =>
  (f.pids.includes(pid) || f.pid === pid) && (f.process === null || name === null || f.process.toLowerCase() === name.toLowerCase())

const key = (e: Evidence) => `${e.path}\u0000${e.line}`

/**
 * A port finding cites every source that supports it: the process's handle and AFD counts
 * (handle.exe, Get-Process, dumps), findings about its handles, its sockets in a memory dump,
 * and, for the most severe finding, the exhaustion events. Handle and dump findings stay findings
 * of their own as well.
 */
export function corroborate(findings: Finding[], handles: readonly HandleSeries[], c: CaseBuilder, tz: (iso: string) => string, events: readonly EventPoint[]): Finding[] {
  const portFindings = findings.filter((f) => f.kind === 'monotonic-growth' || f.kind === 'sawtooth-growth' || f.kind === 'port-holder')
  for (const f of portFindings) {
    const seen = new Set(f.evidence.map(key))
    const add = (e: Evidence) => {
      if (seen.has(key(e)) || f.evidence.length >= MAX_EVIDENCE) return
      seen.add(key(e))
      f.evidence.push(e)
    }
    for (const h of handles) {
      if (!sameProcess(f, h.pid, h.name) || h.points.length === 0) continue
      const first = h.points[0]!
      const last = h.points.at(-1)!
      const text = (p: typeof first) => `handles ${p.total ?? '?'}${p.afd !== null ? `, \\Device\\Afd ${p.afd}` : ''}`
      for (const p of h.points.length > 1 ? [first, last] : [first]) {
        add({path: p.path, line: p.line, time: p.time === null ? null : tz(formatWallTime(p.time)), text: text(p)})
      }
    }
    for (const other of findings) {
      if (other === f || portFindings.includes(other) || other.pid === null) continue
      if (sameProcess(f, other.pid, other.process)) for (const e of other.evidence) add(e)
    }
    for (const d of c.dumps.values()) {
      if (sameProcess(f, d.pid, d.name)) add({path: c.inputs[d.input]!.path, line: d.line, time: null, text: `${d.rows} sockets in the memory dump`})
    }
  }
  const top = portFindings[0]
  const proof = events.filter((e) => PROOF.has(e.symptom))
  if (top && proof.length > 0) {
    for (const e of [proof[0]!, proof.at(-1)!]) {
      const ev = {path: c.inputs[e.input]!.path, line: e.line, time: e.time === null ? null : tz(formatWallTime(e.time)), text: `event ${e.id} (${e.source})`}
      if (!top.evidence.some((x) => key(x) === key(ev)) && top.evidence.length < MAX_EVIDENCE) top.evidence.push(ev)
    }
  }
  return findings
}
