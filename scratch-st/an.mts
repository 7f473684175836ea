import {runAnalysis} from '../src/pipeline.js'
const t=Date.now()
const a = await runAnalysis([process.argv[2]!], {signal: new AbortController().signal} as any)
console.log(a.document.snapshots, Date.now()-t, 'ms')
