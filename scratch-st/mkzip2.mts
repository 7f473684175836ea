import {writeFileSync} from 'node:fs'
import {zipBuffer} from '../test/helpers/zip.js'
import {snapshot} from '../test/hardening/helpers.js'
const n = Number(process.argv[2])
const p2 = (n: number) => String(n).padStart(2, '0')
const entries = Array.from({length: n}, (_, i) => ({name: `loop/${String(i).padStart(6, '0')}.txt`, data: snapshot(`2023-03-14 ${p2(Math.floor(i / 3600)%24)}:${p2(Math.floor(i / 60) % 60)}:${p2(i % 60)}.00`, 1)}))
writeFileSync(process.argv[3]!, await zipBuffer(entries))
