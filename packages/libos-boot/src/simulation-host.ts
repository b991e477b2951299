import type { EntropySource, Simulation } from '@libos/sched';
import type { BootHost } from './boot-host.js';

/**
 * Options of {@link simulationHost}.
 *
 * @example
 * ```ts
 * import type { SimulationHostOptions } from '@libos/boot';
 * const options: SimulationHostOptions = { name: 'node-a', onLog: (line) => lines.push(line) };
 * ```
 */
export interface SimulationHostOptions {
  /** Shown in the boot log; default `simulation`. */
  readonly name?: string;
  /** Randomness of this unikernel; default the simulation's (seeded) entropy. */
  readonly entropy?: EntropySource;
  /** Receives boot log lines; default none. */
  readonly onLog?: (line: string) => void;
}

/**
 * A host under virtual time: the simulation's clock, scheduler and seeded entropy. Give
 * each declaration its backend explicitly (e.g. `nic({ backend: netSwitch.attach() })`);
 * boot and run inside {@link runSimulated}. The same seed gives the same run, frame for frame.
 *
 * @param sim - the simulation (`@libos/sched`)
 * @param options - name, entropy, boot log sink
 * @returns the host to pass to `boot(…, { host })`
 * @example
 * ```ts
 * import { boot, runSimulated, simulationHost } from '@libos/boot';
 * import { nic } from '@libos/boot/net';
 * import { createLink } from '@libos/net';
 * import { Simulation } from '@libos/sched';
 *
 * const sim = new Simulation({ seed: 42 });
 * const [a, b] = createLink();
 * await runSimulated(sim, async () => {
 *   const host = simulationHost(sim);
 *   const left = await boot({ net: nic({ backend: a, ipv4: { address: '10.0.0.1/24' } }) }, { host });
 *   const right = await boot({ net: nic({ backend: b, ipv4: { address: '10.0.0.2/24' } }) }, { host });
 *   await left.services.net.stack.ping('10.0.0.2');
 *   await left.shutdown();
 *   await right.shutdown();
 * });
 * ```
 */
export function simulationHost(sim: Simulation, options: SimulationHostOptions = {}): BootHost {
  return {
    name: options.name ?? 'simulation',
    clock: sim.clock,
    entropy: options.entropy ?? sim.entropy,
    scheduler: sim.scheduler,
    ...(options.onLog === undefined ? {} : { log: options.onLog }),
  };
}
