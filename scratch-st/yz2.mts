import yauzl from 'yauzl'
import {openZip} from '../src/input/archive.js'
let t=Date.now()
const zf = await openZip(process.argv[2]!)
const entries: yauzl.Entry[] = []
await new Promise<void>((res) => { zf.on('entry', (e) => { entries.push(e); zf.readEntry() }); zf.on('end', res); zf.readEntry() })
console.log('dir', entries.length, Date.now()-t); t=Date.now()
let i=0
for (const e of entries) {
  const s = await new Promise<any>((res, rej) => zf.openReadStream(e, (err, s) => err ? rej(err) : res(s)))
  if (i++ < 3000) for await (const c of s) {} else s.destroy()
  if (i===3000) { console.log('3000 read', Date.now()-t); t=Date.now() }
}
console.log('rest open+destroy', Date.now()-t)
