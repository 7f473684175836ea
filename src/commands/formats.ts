import {BaseCommand} from '../base-command.js'
import {type FormatEntry, formatList} from '../formats/registry.js'

export type {FormatEntry} from '../formats/registry.js'

export default class Formats extends BaseCommand<typeof Formats> {
  static override description = `Lists the input formats portleak reads: the id to give with --format, what each reads and the commands that produce it. Formats are detected on their own; --format only forces one.

Exit codes: 0 success.`
  static override enableJsonFlag = true
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --json']
  static override summary = 'List the input formats (ids for --format), what each reads and the commands that produce it.'

  async run(): Promise<{formats: FormatEntry[]}> {
    const list = formatList()
    const width = Math.max(...list.map((f) => f.id.length)) + 2
    const blocks = list.map((f) =>
      [`${f.id.padEnd(width)}${f.title}`, `${' '.repeat(width)}reads: ${f.description}`, ...f.commands.map((c) => `${' '.repeat(width)}  $ ${c}`)].join('\n'),
    )
    this.log(blocks.join('\n\n'))
    return {formats: list}
  }
}
