import {openZip, zipEntries, DEFAULT_ARCHIVE_LIMITS} from '../src/input/archive.js'
let t=Date.now()
const zf = await openZip(process.argv[2]!)
let n=0
for await (const item of zipEntries(zf, 'x', DEFAULT_ARCHIVE_LIMITS)) { if ('source' in item) { const s=item.source.open(); for await (const c of s) {} } n++; if (n%1000===0) {console.log(n, Date.now()-t); t=Date.now()} }
