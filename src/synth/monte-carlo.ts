/**
 * The detector's Monte Carlo: each family's files are generated (`families.ts`), written to a temporary
 * folder, analyzed through the real pipeline, and scored: healthy files by any growth finding, its severity and
 * the verdict; leak files by whether the culprit's process and state are on top, whether a wrong process is on
 * top, and whether a stopped leak is reported as stopped. Used by `scripts/detection-mc.ts` (full size) and the
 * calibration test (small size).
 */
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import type {AnalysisDocument, Finding} from '../model/types.js'
import {runAnalysis} from '../pipeline.js'
import {type CountLoop, type FamilySpec, renderCounts} from './families.js'

export type FileScore = {
  /** Growth findings of any process. */
  growth: number
  /** Most severe growth finding is medium or worse. */
  medium: boolean
  verdict: AnalysisDocument['verdict']['status']
  /** Leak files: the top growth finding names a culprit and its state. */
  found: boolean
  /** Leak files: the top growth finding names a process that is not a culprit. */
  wrong: boolean
  /** Leak files whose growth stopped: the culprit's finding says so. */
  stoppedReported: boolean
}

export type FamilyRow = {
  id: string
  healthy: boolean
  files: number
  /** Shares of files (0–1). */
  anyGrowth: number
  medium: number
  worseThanHealthy: number
  found: number
  wrong: number
  stoppedReported: number | null
  flaggedPerFile: number
}

const GROWTH = new Set(['monotonic-growth', 'sawtooth-growth', 'remote-endpoint-growth'])

/** The culprit's identity in a finding: by name when the loop has names, else by any of its PIDs. */
function culpritOf(loop: CountLoop, f: Finding): string | null {
  for (const p of loop.processes) {
    const pids = new Set([...p.pid].filter((x) => x > 0))
    if (loop.names ? f.process === p.name : f.pids.some((x) => pids.has(x)) || (f.pid !== null && pids.has(f.pid))) return p.name
  }
  return null
}

export function scoreFile(loop: CountLoop, doc: AnalysisDocument): FileScore {
  const growth = doc.findings.filter((f) => GROWTH.has(f.kind))
  const top = growth[0]
  const culprits = loop.culprits ?? []
  const who = top ? culpritOf(loop, top) : null
  const found = !!top && culprits.some((c) => c.name === who && c.state === top.state)
  const wrong = !!top && culprits.length > 0 && !culprits.some((c) => c.name === who)
  const mine = growth.filter((f) => culprits.some((c) => c.name === culpritOf(loop, f) && c.state === f.state))
  const stoppedReported = mine.some((f) => (f as Finding & {growth?: {stopped?: boolean}}).growth?.stopped === true)
  const medium = growth.some((f) => f.severity !== 'low')
  return {growth: growth.length, medium, verdict: doc.verdict.status, found, wrong, stoppedReported}
}

/** Generates, analyzes and scores `seeds` files of a family. */
export async function runFamily(family: FamilySpec, seeds: number, firstSeed = 1): Promise<FamilyRow> {
  const dir = mkdtempSync(join(tmpdir(), 'portleak-mc-'))
  const scores: FileScore[] = []
  let stoppedFiles = 0
  try {
    for (let seed = firstSeed; seed < firstSeed + seeds; seed++) {
      const loop = family.make(seed)
      const path = join(dir, `${family.id}-${seed}.txt`)
      writeFileSync(path, [...renderCounts(loop, seed)].join(''))
      const {document} = await runAnalysis([path], {})
      scores.push(scoreFile(loop, document))
      if (loop.stopped) stoppedFiles++
      rmSync(path)
    }
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }
  const share = (f: (s: FileScore) => boolean) => scores.filter(f).length / Math.max(1, scores.length)
  return {
    id: family.id,
    healthy: family.healthy,
    files: scores.length,
    anyGrowth: share((s) => s.growth > 0),
    medium: share((s) => s.medium),
    worseThanHealthy: share((s) => s.verdict !== 'healthy'),
    found: share((s) => s.found),
    wrong: share((s) => s.wrong),
    stoppedReported: stoppedFiles > 0 ? share((s) => s.stoppedReported) : null,
    flaggedPerFile: scores.reduce((a, s) => a + s.growth, 0) / Math.max(1, scores.length),
  }
}

const pct = (x: number) => `${Math.round(x * 1000) / 10} %`

/** The table of docs/detection.md: healthy families by false alarms, leak families by culprits found. */
export function formatTable(rows: readonly FamilyRow[]): string {
  const out = ['| family | files | any growth | medium+ | verdict not healthy | culprit on top | wrong on top | stopped said | findings/file |', '|---|---|---|---|---|---|---|---|---|']
  for (const r of rows) {
    const h = r.healthy
    out.push(
      `| ${r.id} | ${r.files} | ${h ? pct(r.anyGrowth) : '—'} | ${h ? pct(r.medium) : '—'} | ${h ? pct(r.worseThanHealthy) : '—'} | ${h ? '—' : pct(r.found)} | ${h ? '—' : pct(r.wrong)} | ${r.stoppedReported === null ? '—' : pct(r.stoppedReported)} | ${r.flaggedPerFile.toFixed(2)} |`,
    )
  }
  const healthy = rows.filter((r) => r.healthy)
  const files = healthy.reduce((a, r) => a + r.files, 0)
  const any = healthy.reduce((a, r) => a + r.anyGrowth * r.files, 0)
  out.push('', `Healthy files with any growth finding: ${pct(any / Math.max(1, files))} of ${files}.`)
  return out.join('\n')
}
