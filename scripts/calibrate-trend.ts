/**
 * Calibrates the trend test by simulation (docs/detection.md): for each series length, trend-free series of
 * several noise kinds go through `trendTest` uncalibrated; per band of the first differences' lag-1 autocorrelation, the
 * factor on Var(S) that brings the one-sided false-alarm rate at 1 % and 5 % back to its level is printed, worst
 * case over the kinds with enough runs in the band, as the table of src/analysis/stats-calibration.ts.
 * Usage: npx tsx scripts/calibrate-trend.ts [--reps 400]
 */
import {normalQuantile} from '../src/analysis/stats-core.js'
import {bandOf, differenceLag1, R1_BANDS} from '../src/analysis/stats-calibration.js'
import {trendTest} from '../src/analysis/stats-trend.js'
import {gauss, noise, type NoiseKind} from '../src/synth/families.js'
import {prng} from '../src/synth/loop.js'

const args = process.argv.slice(2)
const reps = Number(args[args.indexOf('--reps') + 1] || 400)
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
