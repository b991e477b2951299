/**
 * Shared setup of the worker-mode machine tests: every machine made through
 * {@link workerMachine} is tracked and its worker terminated by {@link stopMachines}
 * (afterEach / afterAll), and settling is bounded.
 */
import {
  createWorkerMachine,
  type WorkerDeviceSpec,
  type WorkerMachine,
  type WorkerMachineOptions,
} from '@libos/virtio/node';
import { START_MS } from './worker-rig.js';

export { bounded, pattern, TEST_MS, until, WAIT_MS } from './worker-rig.js';

/** Driver timeout for machine drivers on the AtomicsLink (bounded waits). */
export const DRIVER_TIMEOUT_MS = 3000;

const running = new Set<WorkerMachine>();

/** Terminates the worker of every machine made by {@link workerMachine}. */
export async function stopMachines(): Promise<void> {
  const all = [...running];
  running.clear();
  await Promise.all(all.map((m) => m.worker.terminate()));
}

/** {@link createWorkerMachine} with a test-friendly start bound, tracked for cleanup. */
export async function workerMachine<const T extends readonly WorkerDeviceSpec[]>(
  options: WorkerMachineOptions<T>,
): Promise<WorkerMachine<T>> {
  const machine = await createWorkerMachine({ startTimeoutMs: START_MS, ...options });
  running.add(machine);
  return machine;
}

/**
 * Lets the worker and the frame channels move frames: poll the machine, yield to the
 * event loop (AtomicsLink watchers), until three rounds in a row moved nothing
 * (bounded to 200 rounds).
 */
export async function settle(machine: WorkerMachine): Promise<void> {
  let idle = 0;
  for (let round = 0; round < 200 && idle < 3; round++) {
    const moved = machine.poll();
    await new Promise((r) => setTimeout(r, 1));
    idle = moved ? 0 : idle + 1;
  }
}
