import {readFileSync} from 'node:fs'
import {Readable} from 'node:stream'
import {inspectInputs} from '../src/pipeline.js'
const bytes = readFileSync(process.argv[2]!)
setInterval(() => {}, 1000).unref()
const t = setTimeout(() => { console.log('HANG'); process.exit(3) }, 8000)
const doc = await inspectInputs(['-'], {stdin: () => Readable.from([bytes])})
console.log(JSON.stringify(doc.inputs.map(s => [s.path, s.format, s.records, s.error])))
clearTimeout(t)
