import {existsSync} from 'node:fs'
import {extname, join} from 'node:path'

import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../base-command.js'
import {PortleakError} from '../errors.js'
import {analysisFlags, formatFlag} from '../flags.js'
import {refuseDirectory, writeFileAtomic} from '../output.js'
import {runFleet} from '../pipeline.js'
import {redactFleet, renderFleetHtml, renderFleetMarkdown} from '../report/fleet.js'
import {renderHtml} from '../report/html.js'
import {renderMarkdown} from '../report/markdown.js'
import {redactAnalysis} from '../report/redact.js'

type ReportFormat = 'md' | 'html'

const ISO_TIME = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/

const BY_EXTENSION: Record<string, ReportFormat> = {'.md': 'md', '.markdown': 'md', '.html': 'html', '.htm': 'html'}

/** What `report` did, for scripts. */
export type ReportResult = {output: string; format: ReportFormat; bytes: number; redacted: boolean}

export default class Report extends BaseCommand<typeof Report> {
  static override args = {
    inputs: Args.string({description: 'Files, directories, .zip/.gz archives, or - for stdin.', required: true}),
  }
  static override description = `Writes an incident report: verdict, culprit processes with their growth and projected exhaustion, charts, evidence rows, corroboration, next steps, collection quality and an appendix of the inputs with their SHA-256.

The format follows the output extension (.md or .html) unless --as md|html says otherwise (--format md|html still works in this release, with a deprecation note). The HTML report is one self-contained file that makes no network request. Without --generated-at the output has no generation time, so the same inputs give the same bytes.

Exit codes: 0 success, 1 runtime error, 2 usage error (including an existing output without --force).`
  static override examples = [
    '<%= config.bin %> <%= command.id %> upload.zip -o incident.html',
    '<%= config.bin %> <%= command.id %> netstat.txt handles.txt -o - --as md',
    '<%= config.bin %> <%= command.id %> upload.zip -o report.md --redact --generated-at 2026-01-14T15:00:00Z',
    '<%= config.bin %> <%= command.id %> netstat.txt -o report.md --mermaid',
  ]
  static override flags = {
    ...analysisFlags,
    as: Flags.option({
      description: 'Report format (default: from the output extension; markdown on stdout).',
      options: ['md', 'html'] as const,
    })(),
    force: Flags.boolean({description: 'Overwrite the output file if it exists.', default: false}),
    // `--format md|html` still names the report format (no input format has those ids); --as is the flag for it.
    format: formatFlag(['md', 'html']),
    mermaid: Flags.boolean({
      description: 'Markdown: add a Mermaid chart of the range use after the table (renders in GitHub; most ticket systems show it as text).',
      default: false,
    }),
    'generated-at': Flags.string({description: 'Generation time to print in the report (ISO 8601). Default: none.'}),
    output: Flags.string({char: 'o', description: 'Output file, or - for stdout.', default: '-'}),
    redact: Flags.boolean({
      description: 'Replace IP addresses, host, domain and user names with pseudonyms (process names stay).',
      default: false,
    }),
  }
  static override strict = false
  static override summary = 'Write the incident report as markdown or self-contained HTML.'

  async run(): Promise<ReportResult> {
    const {flags} = this
    const output = flags.output
    if (output !== '-') refuseDirectory(output, `Name a file in it, e.g. -o ${join(output, 'report.html')}.`)
    // `--format md|html` names the report format (no input format has those ids); any other value is an input
    // format id. Kept one release for scripts that use it, with a note on stderr; --as is the flag.
    const reportFormat = flags.format === 'md' || flags.format === 'html' ? flags.format : undefined
    if (reportFormat) this.warn(`--format ${reportFormat} is deprecated and goes in the next release: use --as ${reportFormat} (--format names input formats)`)
    const format = flags.as ?? reportFormat ?? (output === '-' ? 'md' : BY_EXTENSION[extname(output).toLowerCase()])
    if (!format) {
      throw new PortleakError(`cannot tell the report format from '${output}'`, 'EUSAGE', [
        'Name the output .md or .html, or add --as md|html.',
      ])
    }
    if (output !== '-' && !flags.force && existsSync(output)) {
      throw new PortleakError(`${output} exists; add --force to overwrite it`, 'EEXIST')
    }
    const generatedAt = flags['generated-at']
    if (generatedAt !== undefined && !ISO_TIME.test(generatedAt)) {
      throw new PortleakError(`--generated-at '${generatedAt}' is not an ISO 8601 time`, 'EUSAGE', ['Use e.g. 2026-01-14T15:00:00Z.'])
    }
    const fleet = await runFleet(this.inputs, this.pipelineOptions(reportFormat ? {format: undefined} : {}))
    this.clearProgress()
    const renderOptions = {generatedAt: generatedAt ?? null, redacted: flags.redact, version: this.config.version, mermaid: flags.mermaid}
    let text: string
    if (fleet.machines.length > 1) {
      const shown = flags.redact ? redactFleet(fleet) : fleet
      text = format === 'html' ? renderFleetHtml(shown, renderOptions) : renderFleetMarkdown(shown, renderOptions)
    } else {
      const analysis = fleet.machines[0]!.analysis
      const shown = flags.redact ? redactAnalysis(analysis) : analysis
      text = format === 'html' ? renderHtml(shown, renderOptions) : renderMarkdown(shown, renderOptions)
    }
    if (output === '-') this.out(text)
    else {
      // Complete or not at all; without --force an output that appeared meanwhile is still refused.
      await writeFileAtomic(output, [text], flags.force)
      this.logToStderr(`wrote ${output} (${format}, ${Buffer.byteLength(text)} bytes)`)
    }
    return {output, format, bytes: Buffer.byteLength(text), redacted: flags.redact}
  }
}
