/**
 * How a PID reads in reports, the TUI and sentences. Rows of `netstat -an` (no `-o`) carry no PID: the
 * JSON keeps -1 for them (a contract), everything a person reads says "no PID collected" instead.
 * Series of short-lived processes folded by image name (`name (short-lived)`) also carry -1: with
 * their name they read "several PIDs".
 */
const collected = (pids: readonly number[]) => pids.filter((p) => p >= 0)

/** `PID 4312`, `PID 4312, 5120`, or `no PID collected` (`several PIDs` for a folded short-lived series). */
export function pidLabel(pid: number | readonly number[] | null | undefined, name?: string | null): string {
  const known = collected(typeof pid === 'number' ? [pid] : (pid ?? []))
  if (known.length > 0) return `PID ${known.join(', ')}`
  return name?.endsWith('(short-lived)') ? 'several PIDs' : 'no PID collected'
}

/** A process named by PID alone, as the subject of a sentence: `PID 4312`, or `(no PID collected)`. */
export const pidSubject = (pid: number | null | undefined): string => (pid != null && pid >= 0 ? `PID ${pid}` : '(no PID collected)')

/** A PID table cell: `4312`, `4312, 5120`, or `not collected` (`–` for a row that names no process). */
export function pidCell(pid: number | readonly number[] | null): string {
  if (pid === null || (typeof pid !== 'number' && pid.length === 0)) return '–'
  const known = collected(typeof pid === 'number' ? [pid] : pid)
  return known.length > 0 ? known.join(', ') : 'not collected'
}
