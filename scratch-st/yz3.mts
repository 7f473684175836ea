import yauzl from 'yauzl'
import {openZip} from '../src/input/archive.js'
let t=Date.now()
const zf = await openZip(process.argv[2]!)
function nextEntry(zf: yauzl.ZipFile): Promise<yauzl.Entry | null> {
  return new Promise((resolve, reject) => {
    const onEntry = (e: yauzl.Entry) => (cleanup(), resolve(e))
    const onEnd = () => (cleanup(), resolve(null))
    const onError = (err: Error) => (cleanup(), reject(err))
    const cleanup = () => { zf.off('entry', onEntry); zf.off('end', onEnd); zf.off('error', onError) }
    zf.on('entry', onEntry); zf.on('end', onEnd); zf.on('error', onError)
    zf.readEntry()
  })
}
let n=0
for (;;) { const e = await nextEntry(zf); if (!e) break; n++; if (n%2000===0) {console.log(n, Date.now()-t); t=Date.now()} }
