import {readFileSync} from 'node:fs'
import {Readable} from 'node:stream'
const {inspectInputs} = await import('/work/main/dist/pipeline.js')
const bytes = readFileSync(process.argv[2])
const summary = async (pieces) => (await inspectInputs(['-'], {stdin: () => Readable.from(pieces)})).inputs[0]
const whole = JSON.stringify(await summary([bytes]))
for (let cut = 180224 - 8192; cut <= 180224; cut++) {
  const s = await summary([bytes.subarray(0, cut), bytes.subarray(cut)])
  if (JSON.stringify(s) !== whole) { console.log('first differing cut', cut, JSON.stringify(bytes.subarray(cut - 120, cut + 60).toString('latin1'))); console.log(JSON.stringify(s.skippedExamples)); console.log(JSON.parse(whole).skippedExamples); break }
}
