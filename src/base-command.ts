import {Command, Errors, type Interfaces, ux} from '@oclif/core'

import {ExitCode, PortleakError} from './errors.js'
import type {Progress} from './input/ingest.js'
import {writeStdout} from './output.js'
import {unknownFormat} from './pipeline.js'
import type {PipelineOptions} from './pipeline.js'
import {inert, inertJson, inertLines} from './report/escape.js'
import {formatInt} from './report/format.js'

export type InferredFlags<T extends typeof Command> = Interfaces.InferredFlags<T['flags'] & (typeof BaseCommand)['baseFlags']>
export type InferredArgs<T extends typeof Command> = Interfaces.InferredArgs<T['args']>

/** oclif's refusal of a `--format` value outside the flag's options (it lists every id): said as `unknownFormat` says it. */
const UNKNOWN_FORMAT = /^Expected --format=(.*) to be one of: /
/** The values of the flags in `inputFlags` and `analysisFlags` (src/flags.ts); a command has some or all of them. */
type InputFlagValues = {
  'date-order'?: PipelineOptions['dateOrder']
  'dynamic-range'?: string
  encoding?: string
  format?: string
  host?: string
  'max-bytes'?: number
  'max-seconds'?: number
  'one-machine'?: boolean
  tz?: string
}

/** Longest delay Node's setTimeout takes without firing at once. */
const MAX_TIMER_MS = 2 ** 31 - 1

/**
 * Owns the output policy of every command: domain errors become one-line messages with an exit
 * code and suggestions (never a stack trace), a failed write to standard output is one of them,
 * Ctrl-C and SIGTERM stop long reads cleanly (a second one quits at once), every message is made
 * inert (input strings in it cannot drive the terminal), and progress goes to stderr only when
 * stderr is a terminal.
 */
export abstract class BaseCommand<T extends typeof Command> extends Command {
  protected args!: InferredArgs<T>
  protected flags!: InferredFlags<T>
  /** The inputs named on the command line (every argument: the commands take any number). */
  protected inputs!: string[]
  private readonly abort = new AbortController()
  private lastProgress = 0
  private progressShown = false
  private progressStart = 0
  private onSignal: ((signal: NodeJS.Signals) => void) | null = null

  protected get signal(): AbortSignal {
    return this.abort.signal
  }

  /** `--max-seconds`: stop reading after that long, as Ctrl-C does (results flagged partial). */
  protected stopAfter(seconds: number | undefined): void {
    if (seconds === undefined) return
    // Node's timers hold at most 2^31-1 ms (24.8 days); a longer wait is chained in steps of that size.
    const until = Date.now() + seconds * 1000
    const wait = () => {
      const left = until - Date.now()
      if (left <= 0) this.abort.abort()
      else setTimeout(wait, Math.min(left, MAX_TIMER_MS)).unref()
    }
    wait()
  }

  override async init(): Promise<void> {
    await super.init()
    // SIGTERM is handled as Ctrl-C is: keep what was read, flag the result partial; a second signal
    // quits at once (exit 130 or 143; temporary files and spools go through the exit hooks).
    const onSignal = (signal: NodeJS.Signals) => {
      if (this.abort.signal.aborted) process.exit(signal === 'SIGTERM' ? 143 : 130)
      this.abort.abort()
      const again = signal === 'SIGTERM' ? 'SIGTERM or Ctrl-C' : 'Ctrl-C'
      process.stderr.write(`\ninterrupted (${signal}): finishing with partial results (${again} again to quit now)\n`)
    }
    this.onSignal = onSignal
    process.on('SIGINT', onSignal)
    process.on('SIGTERM', onSignal)
    const {args, argv, flags} = await this.parse({
      args: this.ctor.args,
      baseFlags: (super.ctor as typeof BaseCommand).baseFlags,
      enableJsonFlag: this.ctor.enableJsonFlag,
      flags: this.ctor.flags,
      strict: this.ctor.strict,
    })
    this.args = args as InferredArgs<T>
    this.flags = flags as InferredFlags<T>
    this.inputs = argv as string[]
  }

  /**
   * The pipeline options the input and analysis flags name (the one mapping of flags to options), with
   * progress (not under --json), Ctrl-C and `--max-seconds` wired in. `extra` adds or overrides options.
   */
  protected pipelineOptions(extra: PipelineOptions = {}): PipelineOptions {
    const flags = this.flags as InputFlagValues
    this.stopAfter(flags['max-seconds'])
    return {
      dateOrder: flags['date-order'],
      dynamicRange: flags['dynamic-range'],
      encoding: flags.encoding,
      format: flags.format,
      host: flags.host,
      oneMachine: flags['one-machine'],
      onProgress: this.jsonEnabled() ? undefined : this.progress(),
      maxBytes: flags['max-bytes'],
      signal: this.signal,
      tz: flags.tz,
      ...extra,
    }
  }

  /** A progress callback for the input layer: bytes, MB/s, ETA and snapshots on a TTY, nothing otherwise. */
  protected progress(): ((p: Progress) => void) | undefined {
    if (!process.stderr.isTTY || process.env.CI) return undefined
    this.progressStart = Date.now()
    return (p) => {
      const now = Date.now()
      if (now - this.lastProgress < 100) return
      this.lastProgress = now
      const secs = Math.max(0.001, (now - this.progressStart) / 1000)
      const mb = p.bytes / 1e6
      const rate = mb / secs
      const total = p.size ? ` / ${(p.size / 1e6).toFixed(0)} MB, ETA ${Math.max(0, (p.size / 1e6 - mb) / rate).toFixed(0)} s` : ''
      const snapshots = p.snapshots === undefined ? '' : `, ${formatInt(p.snapshots)} snapshots`
      process.stderr.write(`\r\u001B[2Kreading ${inert(p.path)}: ${mb.toFixed(0)} MB${total} (${rate.toFixed(0)} MB/s)${snapshots}`)
      this.progressShown = true
    }
  }

  protected clearProgress(): void {
    if (this.progressShown) process.stderr.write('\r\u001B[2K')
    this.progressShown = false
  }

  /** Standard output; a failed write is one line on stderr and exit 1 (see {@link writeStdout}). */
  protected out(text: string): void {
    writeStdout(text)
  }

  override log(message = '', ...args: unknown[]): void {
    if (this.jsonEnabled()) return
    this.out(`${args.length ? [message, ...args].join(' ') : message}\n`)
  }

  override logToStderr(message = '', ...args: unknown[]): void {
    super.logToStderr(inertLines(message), ...args)
  }

  override warn(input: Error | string): Error | string {
    if (typeof input !== 'string') return super.warn(Object.assign(input, {message: inertLines(input.message)}))
    const warning = inertLines(input)
    if (this.jsonEnabled() || process.env.DEBUG) return super.warn(warning)
    process.stderr.write(`${unwrapped(new Errors.CLIError.Warn(warning))}\n`)
    return warning
  }

  /**
   * The JSON document on stdout, with no raw C1 or bidi character in it (JSON `\u` escapes instead). Without a
   * theme oclif's colouring only splits the document into tokens and joins them again, the same bytes as
   * `JSON.stringify` at about 100 ms a MB (15 ms for a 144 KB analysis, on the run's last single-threaded stretch).
   */
  protected override logJson(json: unknown): void {
    const theme = this.config.theme?.json
    this.out(`${inertJson(theme ? ux.colorizeJson(json, {pretty: true, theme}) : JSON.stringify(json, null, 2))}\n`)
  }

  protected override async catch(err: Error & {exitCode?: number; oclif?: {exit?: number}}): Promise<unknown> {
    this.clearProgress()
    let mapped: Error & {oclif?: {exit?: number}} = err
    const format = err instanceof Errors.CLIError ? UNKNOWN_FORMAT.exec(err.message) : null
    if (format) err = unknownFormat(format[1]!)
    if (err instanceof PortleakError) {
      mapped = new Errors.CLIError(inert(err.message), {code: err.code, exit: err.exit, suggestions: err.suggestions.map(inert)})
    } else if (err instanceof Errors.CLIError || err.oclif) {
      // oclif's own messages (flag errors) quote what was typed; their own line breaks stay.
      if (err.message) err.message = inertLines(err.message)
    } else {
      const detail = process.env.DEBUG ? `\n${err.stack}` : ''
      mapped = new Errors.CLIError(`internal error: ${inert(err.message)}${detail}`, {
        exit: ExitCode.Runtime,
        suggestions: ['Run again with DEBUG=1 for details and report it with the input that caused it.'],
      })
    }
    // Under --json oclif prints the error object and does not rethrow, so its handler never sees the
    // exit code: set it here (oclif's catch keeps an exit code already set).
    if (this.jsonEnabled()) process.exitCode = mapped.oclif?.exit ?? ExitCode.Runtime
    else if (mapped instanceof Errors.CLIError && !process.env.DEBUG && !('showHelp' in mapped && mapped.showHelp) && mapped.cause === undefined) {
      // Printed here, unwrapped; oclif's handler then only exits with the error's code.
      process.stderr.write(`${unwrapped(mapped)}\n`)
      Object.assign(mapped, {skipOclifErrorHandling: true})
    }
    return super.catch(mapped)
  }

  protected override async finally(err: Error | undefined): Promise<unknown> {
    if (this.onSignal) {
      process.off('SIGINT', this.onSignal)
      process.off('SIGTERM', this.onSignal)
    }
    this.onSignal = null
    return super.finally(err)
  }

}

/**
 * An error or warning in oclif's layout (` ›   Error: …`, then `Code: …` and `Try this: …`), without the hard
 * wrap oclif's printer puts at 74 columns when standard error is not a terminal: a long path in a message
 * would be cut in two, and a log or a script reading standard error would see half a line.
 */
function unwrapped(err: Errors.CLIError): string {
  const lines = [`${err.name || 'Error'}: ${err.message}`]
  if (err.code) lines.push(`Code: ${err.code}`)
  const suggestions = err.suggestions ?? []
  if (suggestions.length === 1) lines.push(`Try this: ${suggestions[0]}`)
  else if (suggestions.length > 1) lines.push('Try this:', ...suggestions.map((x) => `  * ${x}`))
  const bang = err.bang ?? '›'
  return lines
    .flatMap((l) => l.split('\n'))
    .map((l) => (l === '' ? ` ${bang}` : ` ${bang}   ${l}`))
    .join('\n')
}
