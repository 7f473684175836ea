import {Args} from '@oclif/core'

import {BaseCommand} from '../base-command.js'
import {PortleakError} from '../errors.js'
import {inputFlags} from '../flags.js'
import {type InspectDocument, inspectInputs} from '../pipeline.js'
import {renderInspect} from '../report/inspect-text.js'

export default class Inspect extends BaseCommand<typeof Inspect> {
  static override args = {
    inputs: Args.string({description: 'Files, directories, .zip/.gz archives, or - for stdin.', required: true}),
  }
  static override description = `Shows what portleak reads in each input: format, encoding, snapshots, time range, records by protocol and state, and every skipped line counted by reason.

Exit codes: 0 success, 1 runtime error (no input could be read), 2 usage error.`
  static override enableJsonFlag = true
  static override examples = [
    '<%= config.bin %> <%= command.id %> netstat.txt',
    '<%= config.bin %> <%= command.id %> upload.zip --json',
    'type netstat.txt | <%= config.bin %> <%= command.id %> -',
  ]
  static override flags = {...inputFlags}
  static override strict = false
  static override summary = 'Describe what is in the inputs (formats, snapshots, counts, skipped lines).'

  async run(): Promise<InspectDocument> {
    const doc = await inspectInputs(this.inputs, this.pipelineOptions())
    this.clearProgress()
    if (doc.inputs.length === 0) throw new PortleakError('no input files found', 'EUSAGE', ['Name files, directories or archives.'])
    if (doc.inputs.every((i) => i.format === null)) {
      const first = doc.inputs[0]!
      throw new PortleakError(`${first.path}: ${first.error}`, 'EFORMAT')
    }
    for (const i of doc.inputs) if (i.error && i.format !== null) this.warn(`${i.path}: ${i.error}`)
    this.log(renderInspect(doc.inputs).trimEnd())
    return doc
  }
}
