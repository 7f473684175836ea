import {Readable} from 'node:stream'
import {inspectInputs} from '../src/pipeline.js'
import {tarBuffer} from '../test/helpers/tar.js'
import {zipBuffer} from '../test/helpers/zip.js'
import {netstat} from '../test/hardening/helpers.js'
const t = setTimeout(() => { console.log('HANG'); process.exit(3) }, 8000)
const variants: Record<string, any[]> = {
  textOnly: [{name: 'a.txt', data: netstat(3)}],
  zipOnly: [{name: 'b.zip', data: await zipBuffer([{name: 'n.txt', data: netstat(2)}])}],
  junk: [{name: 'a.bin', data: Buffer.alloc(3000, 1)}],
}
for (const [k, entries] of Object.entries(variants)) {
  const bytes = await tarBuffer(entries)
  for (const how of ['file', 'stdin']) {
    const doc = await inspectInputs(['-'], {stdin: () => Readable.from([bytes])})
    console.log(k, how, JSON.stringify(doc.inputs.map(s => [s.path, s.format, s.records, s.error])))
  }
}
clearTimeout(t)
