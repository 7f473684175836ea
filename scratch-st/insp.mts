import {inspectInputs} from '../src/pipeline.js'
for (const f of process.argv.slice(2)) console.log(JSON.stringify((await inspectInputs([f], {})).inputs.map(s => [s.path.slice(11), s.format, s.records, s.error, s.skippedByReason])))
