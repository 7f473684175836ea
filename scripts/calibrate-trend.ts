/**
 * Calibrates the trend test by simulation (docs/detection.md): for each series length, trend-free series of
 * several noise kinds go through `trendTest` uncalibrated; per band of the first differences' lag-1 autocorrelation, the
 * factor on Var(S) that brings the one-sided false-alarm rate at 1 % and 5 % back to its level is printed, worst
 * case over the kinds with enough runs in the band, as the table of src/analysis/stats-calibration.ts.
 * With --gls, the same for the Prais-Winsten slope test (src/analysis/stats-gls.ts): per length and band of the
 * estimated φ, the factor on t's variance that holds 5 %, 1 % and 0.2 % for every kind with enough runs in the band,
 * then each kind's overall rate at those levels under the factors found (the check that the bands hold the level
 * for every φ, not only where a kind is common).
 * --high-first raises, for a kind over its level, the factor of the highest band of estimated φ its excess falls in
 * rather than the band most of it falls in: the level is then paid where white noise rarely goes (the rows below 64
 * points of the table). GLS_LENGTHS=8,12,… limits the lengths.
 * --phi prints, per length and kind, how the estimated φ (REML, `estimatePhi`) falls in the bands of the table and
 * its median: the evidence that the estimate tells white noise from φ = 0.9 (docs/detection.md).
 * --line: the same for the GLS test whose φ is estimated around a line (GLS_LINE_CALIBRATION).
 * Usage: npx tsx scripts/calibrate-trend.ts [--reps 400] [--gls [--line] [--seed 0] [--high-first]] [--phi [--line]]
 */
import {normalQuantile} from '../src/analysis/stats-core.js'
import {bandOf, differenceLag1, R1_BANDS} from '../src/analysis/stats-calibration.js'
import {trendTest} from '../src/analysis/stats-trend.js'
import {estimatePhi, glsTrend, PHI_BANDS, phiBand} from '../src/analysis/stats-gls.js'
import {gauss, noise, type NoiseKind} from '../src/synth/families.js'
import {prng} from '../src/synth/loop.js'

const args = process.argv.slice(2)
const reps = Number(args[args.indexOf('--reps') + 1] || 400)
const highFirst = args.includes('--high-first')
/** --line: the GLS test whose φ is estimated around a line (GLS_LINE_CALIBRATION). */
const phiMean = args.includes('--line') ? 'line' : 'hinge'
const glsSeed = args.includes('--seed') ? Number(args[args.indexOf('--seed') + 1]) : 0
const LENGTHS = [8, 12, 16, 24, 32, 45, 64, 90, 128, 180, 256, 300]
type Kind = NoiseKind | 'ar03' | 'ar07'
const KINDS: Kind[] = ['iid', 'poisson', 'bursts', 'ar03', 'ar05', 'ar07', 'ar09']
const LEVELS = [0.05, 0.01]
const MIN_RUNS = 30

function series(r: () => number, kind: Kind, n: number): Float64Array {
  if (kind !== 'ar03' && kind !== 'ar07') return noise(r, kind, n, 20)
  const phi = kind === 'ar03' ? 0.3 : 0.7
  const out = new Float64Array(n)
  let x = gauss(r)
  for (let i = 0; i < n; i++) {
    out[i] = x
    x = phi * x + Math.sqrt(1 - phi * phi) * gauss(r)
  }
  return out
}

if (args.includes('--phi')) {
  phiBands()
  process.exit(0)
}

if (args.includes('--gls')) {
  calibrateGls()
  process.exit(0)
}

const rows: string[] = []
for (const n of LENGTHS) {
  const worst = new Array<number>(R1_BANDS.length + 1).fill(1)
  const t = Float64Array.from({length: n}, (_, i) => i * 60_000)
  for (const kind of KINDS) {
    const r = prng(n * 31 + KINDS.indexOf(kind))
    const zs: number[][] = worst.map(() => [])
    for (let k = 0; k < reps; k++) {
      const v = Float64Array.from(series(r, kind, n), (x) => Math.round(50 + 8 * x))
      const res = trendTest(t, v, {calibrated: false})
      zs[bandOf(differenceLag1(v))]!.push(res.raw.z)
    }
    zs.forEach((z, b) => {
      if (z.length < MIN_RUNS) return
      z.sort((a, c) => a - c)
      for (const a of LEVELS) {
        const q = z[Math.min(z.length - 1, Math.floor((1 - a) * z.length))]!
        const target = normalQuantile(1 - a)
        if (q > target) worst[b] = Math.max(worst[b]!, (q / target) ** 2)
      }
    })
  }
  rows.push(`  [${n}, [${worst.map((f) => Math.round(f * 100) / 100).join(', ')}]],`)
  process.stderr.write(`${rows.at(-1)}\n`)
}
process.stdout.write(`[\n${rows.join('\n')}\n]\n`)

/**
 * The --gls calibration (see the header). A band's factor first covers the kinds for which the band is typical
 * (≥ 15 % of their runs); then, while some kind's overall rate at some level exceeds it, the factor of the band
 * that kind's excess comes most from is raised by 5 %. So a kind rare in a band (φ = 0.9 estimated low on a short
 * series) is paid for in its overall rate, which is what the level is about, not by making the band as strict as
 * if every series in it were that kind. With --high-first the raised band is the highest one holding any of that
 * kind's excess.
 */
function calibrateGls(): void {
  const lengths = process.env.GLS_LENGTHS ? process.env.GLS_LENGTHS.split(",").map(Number) : [8, 12, 16, 20, 24, 28, 32, 38, 45, 54, 64, 90, 128, 200]
  const levels = [0.05, 0.01, 0.005]
  const bands = PHI_BANDS.length + 1
  const rows: string[] = []
  for (const n of lengths) {
    const byKind = KINDS.map((kind) => {
      const r = prng(n * 131 + KINDS.indexOf(kind) + 7 + 100_003 * glsSeed)
      const out: {band: number; z: number}[] = []
      for (let k = 0; k < reps; k++) {
        const v = Float64Array.from(series(r, kind, n), (x) => Math.round(50 + 8 * x))
        const phi = estimatePhi(v, phiMean)
        out.push({band: phiBand(phi), z: glsTrend(v, {phi}).z})
      }
      return out
    })
    const factor = new Array<number>(bands).fill(1)
    for (let b = 0; b < bands; b++) {
      for (const runs of byKind) {
        const z = runs.filter((x) => x.band === b).map((x) => x.z)
        if (z.length < 0.15 * runs.length) continue
        z.sort((a, c) => a - c)
        for (const a of levels) {
          const q = z[Math.min(z.length - 1, Math.floor((1 - a) * z.length))]!
          const target = normalQuantile(1 - a)
          if (q > target) factor[b] = Math.max(factor[b]!, (q / target) ** 2)
        }
      }
    }
    const over = (runs: {band: number; z: number}[], a: number) => runs.filter((x) => x.z / Math.sqrt(factor[x.band]!) > normalQuantile(1 - a))
    for (let guard = 0; guard < 400; guard++) {
      let worst: {excess: number; band: number} | null = null
      for (const runs of byKind) {
        for (const a of levels) {
          const hits = over(runs, a)
          const excess = hits.length / runs.length - a
          if (excess <= 0 || (worst && worst.excess >= excess)) continue
          const per = new Array<number>(bands).fill(0)
          for (const h of hits) per[h.band]!++
          worst = {excess, band: highFirst ? per.findLastIndex((x) => x > 0) : per.indexOf(Math.max(...per))}
        }
      }
      if (!worst) break
      factor[worst.band] = factor[worst.band]! * 1.05
    }
    for (let b = 1; b < bands; b++) factor[b] = Math.max(factor[b]!, factor[b - 1]!)
    const rates = KINDS.map((kind, k) => `${kind} ${levels.map((a) => (over(byKind[k]!, a).length / reps).toFixed(4)).join('/')}`)
    rows.push(`  [${n}, [${factor.map((f) => Math.round(f * 100) / 100).join(', ')}]],`)
    process.stderr.write(`${rows.at(-1)}  ${rates.join('  ')}\n`)
  }
  process.stdout.write(`[\n${rows.join('\n')}\n]\n`)
}

/** The --phi report (see the header): shares of φ̂ per band and its median, per length and kind. */
function phiBands(): void {
  const lengths = process.env.GLS_LENGTHS ? process.env.GLS_LENGTHS.split(',').map(Number) : [12, 20, 30, 45, 64, 120]
  for (const n of lengths) {
    for (const kind of KINDS) {
      const r = prng(n * 17 + KINDS.indexOf(kind) + 100_003 * glsSeed)
      const phis = Array.from({length: reps}, () => estimatePhi(Float64Array.from(series(r, kind, n), (x) => Math.round(50 + 8 * x)), phiMean))
      const shares = new Array<number>(PHI_BANDS.length + 1).fill(0)
      for (const phi of phis) shares[phiBand(phi)]! += 1 / reps
      phis.sort((a, c) => a - c)
      process.stdout.write(`${n}\t${kind}\tbands ${shares.map((x) => x.toFixed(2)).join(' ')}\tmedian ${phis[reps >> 1]!.toFixed(2)}\n`)
    }
  }
}
