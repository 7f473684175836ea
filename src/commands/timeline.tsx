import {Args} from '@oclif/core'

import {BaseCommand} from '../base-command.js'
import {ExitCode} from '../errors.js'
import {analysisFlags} from '../flags.js'
import {runFleet} from '../pipeline.js'
import {ConnectionSpool} from '../report/connection-spool.js'
import {fleetRows} from '../report/fleet-text.js'
import {rawLines} from '../report/quote.js'
import type {RowSource} from '../tui/rows-model.js'
import {themeFor} from '../tui/theme.js'

// Alternate screen buffer: the shell's scrollback comes back untouched on quit.
const ENTER_SCREEN = '\u001B[?1049h\u001B[H'
const LEAVE_SCREEN = '\u001B[?1049l'

export default class Timeline extends BaseCommand<typeof Timeline> {
  static override args = {
    inputs: Args.string({description: 'Files, directories, .zip/.gz archives.', required: true}),
  }
  static override description = `Opens a full-screen view of the case: ephemeral ports in use over time against the dynamic range, event markers, the processes at the selected snapshot with their states, changes and findings, and the selected process in depth (per-state series, handle counts, evidence lines). Press ? for the keys.

Needs an interactive terminal; in scripts use \`portleak analyze\` or \`portleak report\`.

Exit codes: 0 success, 1 runtime error, 2 usage error (including a terminal that is not interactive).`
  static override examples = [
    '<%= config.bin %> <%= command.id %> netstat.txt',
    '<%= config.bin %> <%= command.id %> upload.zip --tz Europe/Berlin',
  ]
  static override flags = {...analysisFlags}
  static override strict = false
  static override summary = 'Walk through a case interactively: port use over time, processes at each snapshot, evidence.'

  async run(): Promise<void> {
    const {inputs} = this
    if (!process.stdin.isTTY || !process.stdout.isTTY) {
      this.error('`portleak timeline` needs an interactive terminal: stdin and stdout must be a TTY.', {
        exit: ExitCode.Usage,
        suggestions: [
          `Use \`portleak analyze ${inputs.join(' ')}\` for the verdict on stdout, or \`portleak report … -o report.html\` for a report.`,
        ],
      })
    }
    if (inputs.includes('-')) {
      this.error('`portleak timeline` reads keys from the terminal, so it cannot read an input from stdin.', {
        exit: ExitCode.Usage,
        suggestions: ['Save the input to a file and name the file.'],
      })
    }
    // The rows go to a temporary file as they are read; the diff and rows views read one snapshot back at a time.
    const spool = new ConnectionSpool({indexed: true})
    try {
      await this.show(inputs, spool)
    } finally {
      spool.dispose()
    }
  }

  private async show(inputs: string[], spool: ConnectionSpool): Promise<void> {
    const fleet = await runFleet(inputs, this.pipelineOptions({onConnection: (c, at) => spool.add(c, at)}))
    this.clearProgress()
    for (const i of fleet.inputs) if (i.error) this.warn(`${i.path}: ${i.error}`)
    const analysis = fleet.machines[0]!.analysis
    // several machines (or timelines): the picker opens first, with the fleet table
    const machines = {rows: fleetRows(fleet), analyses: fleet.machines.map((m) => m.analysis)}
    const sizes = new Map(fleet.inputs.map((i) => [i.path, i.bytes]))
    const digests = new Map(fleet.inputs.map((i) => [i.path, i.sha256]))
    const rows: RowSource = {at: (path, snapshot) => spool.at(path, snapshot), raw: (lines) => rawLines(inputs, lines, sizes, digests)}
    process.stdout.write(ENTER_SCREEN)
    try {
      // ink renders only a last frame when it thinks it runs in CI (is-in-ci reads CI when ink loads). The
      // terminal check above passed, so this session is interactive whatever CI says. ink and React load
      // only here anyway: every command module is imported to route the command line.
      delete process.env.CI
      delete process.env.CONTINUOUS_INTEGRATION
      const [{render}, {createElement}, {App}] = await Promise.all([import('ink'), import('react'), import('../tui/App.js')])
      const {waitUntilExit} = render(createElement(App, {analysis, machines, rows, theme: themeFor(process.env, process.stdout)}), {
        exitOnCtrlC: true,
      })
      await waitUntilExit()
    } finally {
      process.stdout.write(LEAVE_SCREEN)
    }
  }
}
