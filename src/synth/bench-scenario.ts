import type {LoopScenario} from './loop.js'

/**
 * A busy server's `netstat -anoq` loop for the benchmark: about 11,000 rows per snapshot, CRLF,
 * en-US stamps, one process leaking BOUND sockets among steady, noisy ones.
 */
export function benchScenario(snapshots: number, seed = 42): LoopScenario {
  return {
    seed,
    snapshots,
    interval: 60,
    jitter: 2,
    start: new Date(Date.UTC(2024, 2, 4, 8, 0, 0)),
    dateStyle: 'en-US',
    bound: true,
    processes: [
      {pid: 4, name: 'System', listen: [445, 139], behaviour: {kind: 'steady', established: 40, noise: 10}},
      {pid: 1712, name: 'svchost.exe', listen: [135], behaviour: {kind: 'steady', established: 300, noise: 60, timeWaitChurn: 20}},
      {pid: 3020, name: 'w3wp.exe', listen: [80, 443], behaviour: {kind: 'steady', established: 4200, noise: 600, timeWaitChurn: 800}},
      {pid: 2480, name: 'sqlservr.exe', listen: [1433], behaviour: {kind: 'steady', established: 1500, noise: 200}},
      // Scaled to the length of the loop so the leak never fills the range (rows per snapshot stay ~11,000).
      {pid: 5120, name: 'LeakyAgent.exe', behaviour: {kind: 'leak', state: 'BOUND', perHour: Math.min(300, 2000 / (snapshots / 60))}},
      {pid: 6200, name: 'backup.exe', behaviour: {kind: 'timewait-leak', perMinute: 20, growthPerHour: Math.min(10, 60 / (snapshots / 60)), remote: '10.0.0.60:443'}},
    ],
    background: 400,
  }
}
