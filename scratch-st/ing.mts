import {ingest} from '../src/input/ingest.js'
const t=Date.now()
const r = await ingest([process.argv[2]!], {signal: new AbortController().signal}, () => null)
console.log(r.length, Date.now()-t, 'ms', r.filter(s=>s.error).slice(0,3).map(s=>s.path+': '+s.error))
