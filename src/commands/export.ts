import {existsSync, statSync} from 'node:fs'
import {mkdir} from 'node:fs/promises'
import {dirname, join} from 'node:path'

import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../base-command.js'
import {PortleakError} from '../errors.js'
import {analysisFlags} from '../flags.js'
import type {Analysis} from '../model/types.js'
import {writeFileAtomic} from '../output.js'
import {type PipelineOptions, machineLabel, runFleet} from '../pipeline.js'
import {ConnectionSpool} from '../report/connection-spool.js'
import {type Table, TABLE_NAMES, csvChunks, exportTables, jsonlChunks} from '../report/export.js'
import {fleetTable, redactFleet} from '../report/fleet.js'
import {redactAnalysis} from '../report/redact.js'

/** What `export` wrote, for scripts. */
export type ExportResult = {directory: string; format: 'csv' | 'jsonl'; files: {path: string; table: string}[]}


export default class Export extends BaseCommand<typeof Export> {
  static override args = {
    inputs: Args.string({description: 'Files, directories, .zip/.gz archives, or - for stdin.', required: true}),
  }
  static override description = `Writes the analysis as normalized tables for spreadsheets and notebooks: snapshots (one row per snapshot: time, rows, ephemeral ports in use, totals per state), process_states (time, PID, process, state, count; nonzero only), wide (one row per snapshot, one column per process × state: chart it directly), findings, events (Tcpip events), handles (handle and \\Device\\Afd counts), optionally connections (every connection row, with the PID it counts for and how it was attributed).

CSV files are UTF-8 with a BOM, CRLF line ends and RFC 4180 quoting; text cells that a spreadsheet would run as a formula are prefixed with '. JSON Lines files hold one object per row.

Exit codes: 0 success, 1 runtime error, 2 usage error (including existing files without --force).`
  static override examples = [
    '<%= config.bin %> <%= command.id %> upload.zip --to csv -o tables',
    '<%= config.bin %> <%= command.id %> netstat.txt --to jsonl -o out --connections',
  ]
  static override flags = {
    ...analysisFlags,
    connections: Flags.boolean({description: 'Also write every connection row (connections.csv / .jsonl).', default: false}),
    force: Flags.boolean({description: 'Overwrite existing files.', default: false}),
    output: Flags.string({char: 'o', description: 'Directory to write the tables into (created if missing).', default: '.'}),
    redact: Flags.boolean({
      description: 'Replace IP addresses, host, domain and user names with pseudonyms (process names stay).',
      default: false,
    }),
    // Checked in run(): oclif's own "Missing required flag to" names neither the values nor the command to type.
    to: Flags.option({description: 'Table format (required).', options: ['csv', 'jsonl'] as const})(),
  }
  static override strict = false
  static override summary = 'Export snapshots, per-process state counts, a wide chart table, findings, events and handles as CSV or JSON Lines.'

  async run(): Promise<ExportResult> {
    const {flags} = this
    const dir = flags.output
    if (dir === '-') {
      throw new PortleakError('export writes one file per table, not one stream: -o names a directory', 'EUSAGE', [
        'Name a directory, e.g. -o tables (created if missing).',
      ])
    }
    if (existsSync(dir) && !statSync(dir).isDirectory()) {
      throw new PortleakError(`${dir} is a file, not a directory`, 'EUSAGE', ['Name a directory for the tables (created if missing).'])
    }
    const ext = flags.to
    if (!ext) {
      const inputs = this.inputs.join(' ') || 'INPUTS'
      throw new PortleakError('export needs a table format: --to csv or --to jsonl', 'EUSAGE', [
        `Type \`portleak export ${inputs} --to csv -o ${dir === '.' ? 'tables' : dir}\` (CSV for Excel, jsonl for scripts).`,
      ])
    }
    const names: string[] = [...TABLE_NAMES, ...(flags.connections ? ['connections'] : [])]
    const targets = names.map((n) => join(dir, `${n}.${ext}`))
    if (!flags.force) {
      const existing = targets.find((t) => existsSync(t))
      if (existing) throw new PortleakError(`${existing} exists; add --force to overwrite it`, 'EEXIST')
    }
    if (flags.connections && flags.redact) {
      throw new PortleakError('--redact does not rewrite the raw connection rows; --connections cannot be shared redacted', 'EUSAGE', [
        'Export without --connections for a redacted copy.',
      ])
    }
    const spool = flags.connections ? new ConnectionSpool() : null
    const options = this.pipelineOptions({
      onConnection: spool ? (c, at) => spool.add(c, at) : undefined,
      onTimeWait: spool ? (line, pid, name, how) => spool.attribute(line, pid, name, how) : undefined,
    })
    try {
      return await this.write(this.inputs, options, spool, targets, names)
    } finally {
      spool?.dispose()
    }
  }

  private async write(argv: string[], options: PipelineOptions, spool: ConnectionSpool | null, targets: string[], names: string[]): Promise<ExportResult> {
    const {flags} = this
    const dir = flags.output
    const ext = flags.to!
    const fleet = await runFleet(argv, options)
    this.clearProgress()
    const files: ExportResult['files'] = []
    if (fleet.machines.length === 1) {
      await this.writeTables(fleet.machines[0]!.analysis, spool, targets, names, files)
    } else {
      // Several machines: machines.<ext> (the fleet table), then each machine's tables in a folder of its own.
      const shown = flags.redact ? redactFleet(fleet) : fleet
      const fleetPath = join(dir, `machines.${ext}`)
      if (!flags.force && existsSync(fleetPath)) throw new PortleakError(`${fleetPath} exists; add --force to overwrite it`, 'EEXIST')
      await mkdir(dir, {recursive: true})
      await writeTable(fleetPath, fleetTable(shown), ext, flags.force)
      files.push({path: fleetPath, table: 'machines'})
      for (const [k, m] of fleet.machines.entries()) {
        const sub = join(dir, folderName(machineLabel(shown.machines[k]!.fleet), k))
        const mine = targets.map((t) => join(sub, t.slice(dir.length).replace(/^[\\/]+/, '')))
        if (!flags.force) {
          const existing = mine.find((t) => existsSync(t))
          if (existing) throw new PortleakError(`${existing} exists; add --force to overwrite it`, 'EEXIST')
        }
        await this.writeTables(m.analysis, spool, mine, names, files, new Set(m.fleet.inputs.map((i) => i.path)))
      }
    }
    this.logToStderr(`wrote ${files.map((f) => f.path).join(', ')}`)
    return {directory: dir, format: ext, files}
  }

  /** One analysis's tables; `paths`: only connection rows of these inputs (one machine of several). */
  private async writeTables(
    analysis: Analysis,
    spool: ConnectionSpool | null,
    targets: string[],
    names: string[],
    files: ExportResult['files'],
    paths?: ReadonlySet<string>,
  ): Promise<void> {
    const {flags} = this
    // Rows keep the timeline position of their snapshot (-1 for rows of inputs off the timeline).
    const positions = new Map((analysis.timeline.sources ?? []).map((s, i) => [`${s.path}\u0000${s.index}`, i]))
    const all = spool?.rows((path, snapshot) => positions.get(`${path}\u0000${snapshot}`) ?? -1)
    const connections = all && paths ? only(all, (c) => paths.has(c.path ?? '')) : all
    const shown = flags.redact ? redactAnalysis(analysis) : analysis
    const tables = exportTables(shown, flags.connections ? {connections} : {})
    await mkdir(dirname(targets[0]!), {recursive: true})
    for (const [i, name] of names.entries()) {
      const table = tables[name as keyof typeof tables] as Table
      await writeTable(targets[i]!, table, flags.to!, flags.force)
      files.push({path: targets[i]!, table: name})
    }
  }
}

/** A folder name for a machine: its label with characters no file system takes replaced; unique by position. */
const folderName = (label: string, k: number) => `${String(k + 1).padStart(2, '0')}-${label.replace(/[^A-Za-z0-9._-]+/g, '_')}`

function only<T>(rows: Iterable<T>, keep: (row: T) => boolean): Iterable<T> {
  return {
    *[Symbol.iterator]() {
      for (const r of rows) if (keep(r)) yield r
    },
  }
}

/** One table, written under a temporary name and renamed when complete. */
function writeTable(path: string, table: Table, ext: 'csv' | 'jsonl', force: boolean): Promise<void> {
  return writeFileAtomic(path, ext === 'csv' ? csvChunks(table) : jsonlChunks(table), force)
}
