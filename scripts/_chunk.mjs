import {readFileSync} from 'node:fs'
import {Readable} from 'node:stream'
const {inspectInputs} = await import('/work/main/dist/pipeline.js')
const bytes = readFileSync(process.argv[2])
const summary = async (pieces) => (await inspectInputs(['-'], {stdin: () => Readable.from(pieces)})).inputs[0]
const whole = await summary([bytes])
console.log('whole', whole.records, whole.encoding, whole.lines, JSON.stringify(whole.skippedByReason))
const step = Number(process.argv[3] ?? 4096)
for (let cut = step; cut < bytes.length; cut += step) {
  const s = await summary([bytes.subarray(0, cut), bytes.subarray(cut)])
  if (JSON.stringify(s) !== JSON.stringify(whole)) { console.log('differs at cut', cut, s.records, s.lines, JSON.stringify(s.skippedByReason)); break }
}
