import type {LoopScenario} from '../../src/synth/loop.js'

const start = new Date(Date.UTC(2023, 2, 10, 8, 55, 0))

/** Seeded scenarios shared by fixtures and analysis tests. */
export const SCENARIOS = {
  boundLeak: {
    seed: 7,
    snapshots: 40,
    interval: 60,
    jitter: 3,
    start,
    dateStyle: 'en-US',
    owners: true,
    bound: true,
    processes: [
      {pid: 4312, name: 'LeakyAgent.exe', behaviour: {kind: 'leak', state: 'BOUND', perHour: 900}},
      {pid: 1712, name: 'svchost.exe', service: 'RpcSs', listen: [135], behaviour: {kind: 'steady', established: 12, noise: 4, timeWaitChurn: 2}},
      {pid: 3020, name: 'sqlservr.exe', listen: [1433], behaviour: {kind: 'steady', established: 30, noise: 8}},
    ],
    background: 4,
  },
  germanLoop: {
    seed: 11,
    snapshots: 12,
    interval: 60,
    start,
    dateStyle: 'de',
    german: true,
    processes: [
      {pid: 880, name: 'svchost.exe', listen: [135], behaviour: {kind: 'steady', established: 6, noise: 2, timeWaitChurn: 2}},
      {pid: 5120, name: 'agent.exe', behaviour: {kind: 'leak', state: 'CLOSE_WAIT', perHour: 120}},
    ],
  },
  timeWaitLeak: {
    seed: 5,
    snapshots: 30,
    interval: 60,
    start,
    dateStyle: 'en-GB',
    processes: [
      {pid: 2200, name: 'backup.exe', behaviour: {kind: 'timewait-leak', perMinute: 10, growthPerHour: 120, remote: '10.0.0.60:443'}},
      {pid: 1712, name: 'svchost.exe', listen: [135], behaviour: {kind: 'steady', established: 10, noise: 3}},
    ],
  },
  healthy: {
    seed: 3,
    snapshots: 8,
    interval: 60,
    jitter: 5,
    start,
    dateStyle: 'iso',
    processes: [
      {pid: 1712, name: 'svchost.exe', listen: [135], behaviour: {kind: 'steady', established: 15, noise: 6, timeWaitChurn: 5}},
      {pid: 3020, name: 'w3wp.exe', listen: [80, 443], behaviour: {kind: 'steady', established: 40, noise: 15, timeWaitChurn: 10}},
    ],
  },
} satisfies Record<string, LoopScenario>
