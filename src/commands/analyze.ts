import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../base-command.js'
import {ExitCode, PortleakError} from '../errors.js'
import {analysisFlags} from '../flags.js'
import {SEVERITY_RANK as RANK} from '../analysis/findings.js'
import type {AnalysisDocument, FleetDocument} from '../model/types.js'
import {fleetDocument, runFleet} from '../pipeline.js'
import {renderAnalysis} from '../report/analyze-text.js'
import {renderFleetText} from '../report/fleet-text.js'

export default class Analyze extends BaseCommand<typeof Analyze> {
  static override args = {
    inputs: Args.string({description: 'Files, directories, .zip/.gz archives, or - for stdin.', required: true}),
  }
  static override description = `Is the machine out of ephemeral ports (or heading there), and which process is doing it? Rebuilds per-process port use over time from every input, tests each process × state series for a rising floor, and prints the verdict, the culprits and the evidence on one screen.

Exit codes: 0 success, 1 runtime error, 2 usage error, 3 a finding at or above --fail-on exists.`
  static override enableJsonFlag = true
  static override examples = [
    '<%= config.bin %> <%= command.id %> netstat.txt',
    '<%= config.bin %> <%= command.id %> upload.zip --json',
    '<%= config.bin %> <%= command.id %> logs/ --fail-on high',
  ]
  static override flags = {
    ...analysisFlags,
    'fail-on': Flags.option({
      description: 'Exit with code 3 when a finding at or above this severity exists (for scripted triage).',
      options: ['critical', 'high', 'medium'] as const,
    })(),
  }
  static override strict = false
  static override summary = 'Verdict, culprit and evidence: is the machine running out of ephemeral ports, and why?'

  async run(): Promise<AnalysisDocument | FleetDocument> {
    const {flags} = this
    const fleet = await runFleet(this.inputs, this.pipelineOptions())
    this.clearProgress()
    // Several machines: the fleet document (one analysis@1 per machine); one machine: its analysis@1 as always.
    const several = fleetDocument(fleet)
    const document = several ?? fleet.machines[0]!.analysis.document
    for (const i of fleet.inputs) if (i.error) this.warn(`${i.path}: ${i.error}`)
    this.log(several ? renderFleetText(fleet) : renderAnalysis(fleet.machines[0]!.analysis.document))
    const failOn = flags['fail-on']
    const findings = fleet.machines.flatMap((m) => m.analysis.document.findings)
    if (failOn && findings.some((f) => RANK[f.severity] <= RANK[failOn])) {
      if (this.jsonEnabled()) {
        // One JSON document on stdout: the analysis, with the --fail-on status as the exit code.
        process.exitCode = ExitCode.FailOn
        return document
      }
      throw new PortleakError(`a finding at or above '${failOn}' exists (--fail-on)`, 'ELIMIT', [], ExitCode.FailOn)
    }
    return document
  }
}
