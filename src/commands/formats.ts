import {BaseCommand} from '../base-command.js'
import {parsers} from '../formats/registry.js'
import type {RecordKind} from '../model/records.js'

/** One readable format, as its module describes itself (see `Format` in formats/types.ts). */
export type FormatEntry = {
  /** The id to give with `--format`, and `inputs[].format` in the JSON documents. */
  id: string
  title: string
  version: string
  /** What it reads. */
  description: string
  /** Commands whose output it reads. */
  commands: string[]
  /** Record kinds it yields. */
  records: RecordKind[]
  /** Read as bytes (event log files, dumps) rather than as text lines. */
  binary: boolean
}

/** Every format portleak reads, in the registry's order. */
export const formatList = (): FormatEntry[] =>
  parsers.map((p) => ({
    id: p.id,
    title: p.title,
    version: p.version,
    description: p.description,
    commands: [...p.commands],
    records: [...p.records],
    binary: p.binary !== undefined,
  }))

export default class Formats extends BaseCommand<typeof Formats> {
  static override description = `Lists the input formats portleak reads: the id to give with --format, what each reads and the commands that produce it. Formats are detected on their own; --format only forces one.

Exit codes: 0 success.`
  static override enableJsonFlag = true
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --json']
  static override summary = 'List the input formats (ids for --format), what each reads and the commands that produce it.'

  async run(): Promise<{formats: FormatEntry[]}> {
    await this.parse(Formats)
    const list = formatList()
    const width = Math.max(...list.map((f) => f.id.length)) + 2
    const blocks = list.map((f) =>
      [`${f.id.padEnd(width)}${f.title}`, `${' '.repeat(width)}reads: ${f.description}`, ...f.commands.map((c) => `${' '.repeat(width)}  $ ${c}`)].join('\n'),
    )
    this.log(blocks.join('\n\n'))
    return {formats: list}
  }
}
