import {readFileSync} from 'node:fs'
import {Readable} from 'node:stream'
const {inspectInputs} = await import('/work/main/dist/pipeline.js')
const bytes = readFileSync(process.argv[2])
const summary = async (pieces) => (await inspectInputs(['-'], {stdin: () => Readable.from(pieces)})).inputs[0]
const cut = 172684
console.log('whole', JSON.stringify((await summary([bytes])).notes))
console.log('cut', JSON.stringify((await summary([bytes.subarray(0, cut), bytes.subarray(cut)])).notes))
const {Utf8Normalizer} = await import('/work/main/dist/input/normalize.js')
for (const pieces of [[bytes], [bytes.subarray(0, cut), bytes.subarray(cut)]]) {
  const n = new Utf8Normalizer('utf-8'); for (const p of pieces) n.push(p); n.end(); console.log('normalizer alone', JSON.stringify(n.switches))
}
console.log(bytes.indexOf(Buffer.from([0xff, 0xfe])), JSON.stringify(bytes.subarray(cut - 3, cut + 3)))
