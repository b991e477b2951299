import type { Micros, Simulation } from '@libos/sched';
import { BootError } from './boot-error.js';

/** The host's ways to run a callback after pending I/O callbacks and microtasks. */
interface HostMacrotasks {
  setImmediate?: (callback: () => void) => unknown;
  MessageChannel?: new () => {
    port1: { onmessage: (() => void) | null; close(): void };
    port2: { postMessage(value: unknown): void; close(): void };
  };
  setTimeout: (callback: () => void, ms: number) => unknown;
}

const host = globalThis as unknown as HostMacrotasks;

/** Resolves after every microtask queued before it has run (a macrotask turn). */
function macrotask(): Promise<void> {
  if (host.setImmediate !== undefined) {
    const setImmediate = host.setImmediate;
    return new Promise((resolve) => void setImmediate(resolve));
  }
  if (host.MessageChannel !== undefined) {
    const channel = new host.MessageChannel();
    return new Promise((resolve) => {
      channel.port1.onmessage = () => {
        channel.port1.close();
        channel.port2.close();
        resolve();
      };
      channel.port2.postMessage(0);
    });
  }
  return new Promise((resolve) => void host.setTimeout(resolve, 0));
}

/**
 * Options of {@link runSimulated}.
 *
 * @example
 * ```ts
 * import type { RunSimulatedOptions } from '@libos/boot';
 * const options: RunSimulatedOptions = { timeLimit: 60_000_000 };
 * ```
 */
export interface RunSimulatedOptions {
  /** Virtual µs after which the run fails with `SERVICE_FAILED`; default 1 hour. */
  readonly timeLimit?: Micros;
  /** Turns without any timer or poller coming due before the run fails as a livelock; default 100,000. */
  readonly maxTurnsWithoutTime?: number;
}

/**
 * Runs `main` — ordinary async code: boot unikernels, await their sockets and files —
 * under the simulation's virtual time. Each turn lets every pending promise
 * continuation run (one macrotask), then services the simulation's scheduler at the
 * current virtual time (timers, the unikernels' pollers); when nothing is due it jumps
 * the clock to the next deadline. No real time passes between virtual instants, and a
 * run depends only on the seed and the code: same seed, same frames at the same times.
 *
 * Unlike `Simulation.run`, `main` and the code it calls may await any promise (the
 * network stack's and file system's APIs), not only scheduler primitives. Do not do
 * real I/O inside it.
 *
 * @param sim - the simulation whose clock and scheduler drive the unikernels
 * @param main - the scenario
 * @param options - time limit, livelock guard
 * @returns what `main` returns
 * @throws what `main` throws; a `BootError` (`SERVICE_FAILED`) when the time limit
 *   passes, nothing is left to wait for while `main` still waits (deadlock), or no
 *   virtual time passes for `maxTurnsWithoutTime` turns
 * @example
 * ```ts
 * import { boot, runSimulated, simulationHost } from '@libos/boot';
 * import { nic } from '@libos/boot/net';
 * import { createLink } from '@libos/net';
 * import { Simulation } from '@libos/sched';
 *
 * const sim = new Simulation({ seed: 1 });
 * const [a, b] = createLink();
 * const rtt = await runSimulated(sim, async () => {
 *   const host = simulationHost(sim);
 *   const one = await boot({ net: nic({ backend: a, ipv4: { address: '10.0.0.1/24' } }) }, { host });
 *   await boot({ net: nic({ backend: b, ipv4: { address: '10.0.0.2/24' } }) }, { host });
 *   return (await one.services.net.stack.ping('10.0.0.2')).roundTripMicros;
 * });
 * ```
 */
export async function runSimulated<T>(
  sim: Simulation,
  main: () => Promise<T>,
  options: RunSimulatedOptions = {},
): Promise<T> {
  const timeLimit = sim.now() + (options.timeLimit ?? 3_600_000_000);
  const maxTurns = options.maxTurnsWithoutTime ?? 100_000;
  let outcome: { ok: true; value: T } | { ok: false; error: unknown } | undefined;
  main().then(
    (value) => {
      outcome = { ok: true, value };
    },
    (error: unknown) => {
      outcome = { ok: false, error };
    },
  );
  const scheduler = sim.scheduler;
  let turnsWithoutTime = 0;
  for (;;) {
    await macrotask();
    if (outcome !== undefined) break;
    scheduler.service();
    await macrotask();
    if (outcome !== undefined) break;
    const now = sim.now();
    const next = scheduler.nextDeadline();
    if (next === null) {
      throw new BootError(
        'SERVICE_FAILED',
        `simulation deadlock at t=${now}µs: the scenario waits but no timer or poller is scheduled`,
      );
    }
    if (next > now) {
      if (next > timeLimit) {
        throw new BootError('SERVICE_FAILED', `simulation reached its time limit at t=${now}µs`);
      }
      sim.clock.advanceTo(next);
      turnsWithoutTime = 0;
    } else if (++turnsWithoutTime > maxTurns) {
      throw new BootError(
        'SERVICE_FAILED',
        `simulation livelock at t=${now}µs: pollers keep asking to be polled now`,
      );
    }
  }
  if (outcome.ok) return outcome.value;
  throw outcome.error;
}
