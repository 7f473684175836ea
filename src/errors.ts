/** Exit codes, documented in the README and in `--help`. */
export const ExitCode = {
  Ok: 0,
  Runtime: 1,
  Usage: 2,
  FailOn: 3,
} as const

export type ErrorCode = 'ENOENT' | 'EACCES' | 'EFORMAT' | 'EARCHIVE' | 'ELIMIT' | 'EUSAGE' | 'EIO' | 'EEXIST'

/**
 * An error the user can act on: one line naming the file (and line), a code, and suggestions.
 * Core code throws it; commands turn it into an exit code and a message, never a stack trace.
 */
export class PortleakError extends Error {
  constructor(
    message: string,
    readonly code: ErrorCode,
    readonly suggestions: readonly string[] = [],
    readonly exit: number = code === 'EUSAGE' || code === 'ENOENT' || code === 'EEXIST' ? ExitCode.Usage : ExitCode.Runtime,
  ) {
    super(message)
    this.name = 'PortleakError'
  }
}
