import {writeFileSync} from 'node:fs'
import {zipBuffer} from '../test/helpers/zip.js'
const n = Number(process.argv[2])
const p2 = (n: number) => String(n).padStart(2, '0')
const entries = Array.from({length: n}, (_, i) => ({name: `loop/${String(i).padStart(6, '0')}.txt`, data: `x${i}\n`}))
writeFileSync(process.argv[3]!, await zipBuffer(entries))
