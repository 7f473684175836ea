import {BaseCommand} from '../base-command.js'
import {parsers} from '../formats/registry.js'

/** One readable format: its id (for `--format`) and what it reads, from the parser registry. */
export type FormatEntry = {id: string; description: string}

/** Every format portleak reads, in the registry's order. */
export const formatList = (): FormatEntry[] => parsers.map((p) => ({id: p.id, description: p.description}))

export default class Formats extends BaseCommand<typeof Formats> {
  static override description = `Lists the input formats portleak reads: the id to give with --format, and what each reads. Formats are detected on their own; --format only forces one.

Exit codes: 0 success.`
  static override enableJsonFlag = true
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --json']
  static override summary = 'List the input formats (ids for --format) and what each reads.'

  async run(): Promise<{formats: FormatEntry[]}> {
    await this.parse(Formats)
    const list = formatList()
    const width = Math.max(...list.map((f) => f.id.length)) + 2
    for (const f of list) this.log(`${f.id.padEnd(width)}${f.description}`)
    return {formats: list}
  }
}
