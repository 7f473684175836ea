import {writeFileSync} from 'node:fs'
import {runAnalysis} from '../src/pipeline.js'
import {snapshot} from '../test/hardening/helpers.js'
for (const y of ['9999', '2023']) {
const text = Array.from({length: 10}, (_, i) => snapshot(`${y}-12-31 23:5${i}:00.00`, 200 + i * 400)).join('')
writeFileSync('/tmp/st/y.txt', text)
const a = await runAnalysis(['/tmp/st/y.txt'], {dynamicRange: '49152-65535'})
console.log(y, a.document.snapshots, a.document.timeRange, a.document.verdict?.status ?? a.document.verdict, a.document.findings.map(f=>[f.kind,f.projectedExhaustion]))
}
