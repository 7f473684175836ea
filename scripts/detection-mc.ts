/**
 * The detector's Monte Carlo at full size (docs/detection.md): every family of src/synth/families.ts, N seeds
 * each, through the real pipeline. Usage: npx tsx scripts/detection-mc.ts [--seeds 30] [--first-seed 1] [--only id,id] [--json]
 */
import {FAMILIES} from '../src/synth/families.js'
import {formatTable, runFamily, type FamilyRow} from '../src/synth/monte-carlo.js'

const args = process.argv.slice(2)
const opt = (name: string) => {
  const i = args.indexOf(name)
  return i >= 0 ? args[i + 1] : undefined
}
const seeds = Number(opt('--seeds') ?? 30)
const firstSeed = Number(opt('--first-seed') ?? 1)
const only = opt('--only')?.split(',')
const rows: FamilyRow[] = []
for (const f of FAMILIES) {
  if (only && !only.some((o) => f.id.startsWith(o))) continue
  const row = await runFamily(f, seeds, firstSeed)
  rows.push(row)
  process.stderr.write(`${f.id}: ${JSON.stringify(row)}\n`)
}
process.stdout.write(args.includes('--json') ? JSON.stringify(rows, null, 1) + '\n' : formatTable(rows) + '\n')
