import { Worker } from 'node:worker_threads';
import type { GuestMemory } from '@libos/mem';
import type { DeviceWorkerData, WorkerDeviceDescription } from './device-worker-description.js';
import { DeviceWorkerError } from './device-worker-error.js';
import type { FromDeviceWorker, ToDeviceWorker } from './device-worker-messages.js';
import type { DeviceWorkerSpec } from './device-worker-spec.js';
import { fenceDevice } from './fence-device.js';
import { NetFrameBridge } from './net-frame-bridge.js';
import { deviceWorkerEntry } from './worker-entry.js';

/**
 * Options of {@link startDeviceWorker}.
 *
 * @example
 * ```ts
 * import type { DeviceWorkerOptions } from '@libos/virtio/node';
 * const options: DeviceWorkerOptions = {
 *   memory, // a GuestMemory on a SharedArrayBuffer
 *   devices: [{ kind: 'rng', base: 0x1000, backend: { type: 'host' } }],
 *   stopTimeoutMs: 500,
 * };
 * ```
 */
export interface DeviceWorkerOptions {
  /** Guest memory shared with the drivers (must be SharedArrayBuffer-backed). */
  readonly memory: GuestMemory;
  /** The device models to build in the worker, each at its own register block. */
  readonly devices: readonly DeviceWorkerSpec[];
  /** Bound on the wait for `ready` (default 10000 ms). */
  readonly startTimeoutMs?: number;
  /** Bound on a clean `stop` before the worker is terminated (default 1000 ms). */
  readonly stopTimeoutMs?: number;
  /** Called once with the worker's failure (crash, unexpected exit, build error). */
  readonly onError?: (error: DeviceWorkerError) => void;
  /**
   * When the worker is gone, set DEVICE_NEEDS_RESET on each of its devices and raise a
   * configuration change interrupt so drivers fail instead of waiting (default true);
   * see {@link fenceDevice}.
   */
  readonly fenceOnExit?: boolean;
}

const DEFAULT_START_TIMEOUT_MS = 10_000;
const DEFAULT_STOP_TIMEOUT_MS = 1000;

/**
 * A running device worker: a `node:worker_threads` Worker playing the hypervisor for
 * one or more virtio device models on shared guest memory. Made by
 * {@link startDeviceWorker}.
 *
 * @example
 * ```ts
 * const worker = startDeviceWorker({ memory, devices: [{ kind: 'rng', base: 0x1000, backend: { type: 'host' } }] });
 * await worker.ready;
 * // … drivers on AtomicsLink(memory) …
 * await worker.stop();
 * ```
 */
export class DeviceWorker {
  /** Resolves once every model is built and its register block initialised; rejects with a {@link DeviceWorkerError}. */
  readonly ready: Promise<void>;
  /** Resolves when the worker thread has exited (for any reason). */
  readonly exited: Promise<void>;
  /** The underlying Worker. */
  readonly worker: Worker;

  readonly #memory: GuestMemory;
  readonly #bases: readonly number[];
  readonly #bridges: NetFrameBridge[];
  readonly #outputs: Map<number, (bytes: Uint8Array) => void>;
  readonly #stopTimeoutMs: number;
  readonly #fence: boolean;
  readonly #onError: ((error: DeviceWorkerError) => void) | undefined;
  #failure: DeviceWorkerError | null = null;
  #stopping = false;
  #alive = true;
  #settleReady: ((error: DeviceWorkerError | null) => void) | null = null;

  /**
   * Use {@link startDeviceWorker}.
   *
   * @param options - memory, devices, bounds
   * @throws {@link DeviceWorkerError} `BAD_OPTION` for non-shared memory or duplicate bases
   */
  constructor(options: DeviceWorkerOptions) {
    const { memory } = options;
    if (!(memory.buffer instanceof SharedArrayBuffer)) {
      throw new DeviceWorkerError(
        'BAD_OPTION',
        'worker devices need SharedArrayBuffer guest memory',
      );
    }
    const bases = options.devices.map((d) => d.base);
    if (new Set(bases).size !== bases.length) {
      throw new DeviceWorkerError('BAD_OPTION', 'two devices share a register block');
    }
    this.#memory = memory;
    this.#bases = bases;
    this.#stopTimeoutMs = options.stopTimeoutMs ?? DEFAULT_STOP_TIMEOUT_MS;
    this.#fence = options.fenceOnExit ?? true;
    this.#onError = options.onError;
    this.#bridges = [];
    this.#outputs = new Map();
    const descriptions: WorkerDeviceDescription[] = options.devices.map((d) => {
      if (d.kind === 'console') {
        if (d.onOutput) this.#outputs.set(d.base, d.onOutput);
        return { kind: 'console', base: d.base, ...(d.options ? { options: d.options } : {}) };
      }
      if (d.kind === 'net') {
        const bridge = new NetFrameBridge(d.backend, d.channelSlots ?? 256);
        this.#bridges.push(bridge);
        return {
          kind: 'net',
          base: d.base,
          channel: bridge.channel.buffer,
          macAddress: d.backend.macAddress.slice(),
          maxTransmitUnit: d.backend.capabilities.maxTransmitUnit,
          ...(d.options ? { options: d.options } : {}),
        };
      }
      return d;
    });
    const workerData: DeviceWorkerData = { memory: memory.buffer, devices: descriptions };
    const entry = deviceWorkerEntry(import.meta.url);
    this.worker = new Worker(entry.script, {
      eval: entry.eval,
      ...(entry.execArgv ? { execArgv: entry.execArgv } : {}),
      workerData,
    });
    this.ready = new Promise<void>((resolve, reject) => {
      this.#settleReady = (error) => (error === null ? resolve() : reject(error));
    });
    this.ready.catch(() => {}); // surfaced through `ready` / `onError`, never unhandled
    const startTimeout = options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS;
    const timer = setTimeout(() => {
      this.#fail(
        new DeviceWorkerError(
          'START_TIMEOUT',
          `the device worker was not ready in ${startTimeout} ms`,
        ),
      );
      void this.terminate();
    }, startTimeout);
    this.exited = new Promise<void>((resolve) => {
      this.worker.once('exit', (code) => {
        clearTimeout(timer);
        this.#alive = false;
        if (!this.#stopping) {
          this.#fail(
            new DeviceWorkerError('WORKER_EXITED', `the device worker exited (code ${code})`),
          );
        }
        this.#settleReady?.(
          this.#failure ?? new DeviceWorkerError('STOPPED', 'stopped before ready'),
        );
        this.#settleReady = null;
        for (const b of this.#bridges) b.stop();
        if (this.#fence) for (const base of this.#bases) fenceDevice(this.#memory, base);
        resolve();
      });
    });
    this.worker.on('error', (error) => {
      this.#fail(
        new DeviceWorkerError(
          'WORKER_CRASHED',
          `the device worker crashed: ${error.message}`,
          error,
        ),
      );
    });
    this.worker.on('message', (message: FromDeviceWorker) => this.#onMessage(message, timer));
  }

  /**
   * The first failure of the worker (crash, unexpected exit, build error, start
   * timeout), or null.
   *
   * @example
   * ```ts
   * if (handle.failure) console.error(handle.failure.code);
   * ```
   */
  get failure(): DeviceWorkerError | null {
    return this.#failure;
  }

  /**
   * Whether the worker thread is still running.
   *
   * @example
   * ```ts
   * if (!handle.alive) console.log('gone');
   * ```
   */
  get alive(): boolean {
    return this.#alive;
  }

  /**
   * Sends host input to the console at `base` (it reaches the guest's receive buffers).
   *
   * @param base - the console's register block
   * @param bytes - the input (copied)
   * @example
   * ```ts
   * handle.consoleInput(0x3000, new TextEncoder().encode('ls\n'));
   * ```
   */
  consoleInput(base: number, bytes: Uint8Array): void {
    if (!this.#alive) return;
    this.#post({ type: 'console-input', base, bytes: bytes.slice() });
  }

  /**
   * Moves frames between every worker virtio-net model and its backend now (also done
   * automatically whenever the worker signals; call it from the run loop to pick up
   * frames the backends received).
   *
   * @returns frames moved
   * @example
   * ```ts
   * setInterval(() => handle.pump(), 1);
   * ```
   */
  pump(): number {
    let moved = 0;
    for (const b of this.#bridges) moved += b.pump();
    return moved;
  }

  /**
   * Stops cleanly: asks the worker to stop its models and close its backends, waits up
   * to `stopTimeoutMs` for it to exit, then terminates it. Idempotent.
   *
   * @returns resolves once the worker has exited
   * @example
   * ```ts
   * await driver.close();
   * await handle.stop();
   * ```
   */
  async stop(): Promise<void> {
    if (!this.#alive) return this.exited;
    this.#stopping = true;
    this.#post({ type: 'stop' });
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), this.#stopTimeoutMs);
    });
    const outcome = await Promise.race([this.exited, late]);
    clearTimeout(timer);
    if (outcome === 'late') await this.terminate();
    return this.exited;
  }

  /**
   * Terminates the worker at once (no clean shutdown). Idempotent.
   *
   * @returns resolves once the worker has exited
   * @example
   * ```ts
   * await handle.terminate();
   * ```
   */
  async terminate(): Promise<void> {
    this.#stopping = true;
    if (this.#alive) await this.worker.terminate();
    return this.exited;
  }

  #onMessage(message: FromDeviceWorker, timer: ReturnType<typeof setTimeout>): void {
    switch (message.type) {
      case 'ready':
        clearTimeout(timer);
        for (const b of this.#bridges) b.start();
        this.#settleReady?.(null);
        this.#settleReady = null;
        return;
      case 'console-output':
        this.#outputs.get(message.base)?.(message.bytes);
        return;
      case 'failed':
        this.#fail(
          new DeviceWorkerError(
            'DEVICE_FAILED',
            `the device worker could not build its devices: ${message.name}` +
              `${message.code ? ` ${message.code}` : ''}: ${message.message}`,
          ),
        );
        return;
      case 'stopped':
        return;
    }
  }

  #post(message: ToDeviceWorker): void {
    this.worker.postMessage(message);
  }

  #fail(error: DeviceWorkerError): void {
    if (this.#failure !== null) return;
    this.#failure = error;
    this.#settleReady?.(error);
    this.#settleReady = null;
    this.#onError?.(error);
  }
}

/**
 * Starts a device worker: a `node:worker_threads` Worker that builds the described
 * virtio device models (virtio-blk, -rng, -console, -net) on the shared guest memory,
 * each watching its doorbells through an `AtomicsLink`. Drivers stay in the calling
 * thread, on an `AtomicsLink` over the same memory; they must not probe before
 * `ready` resolves. Worker failures surface as {@link DeviceWorkerError}s (`ready`,
 * `failure`, `onError`), and the devices are fenced (DEVICE_NEEDS_RESET) so drivers
 * fail rather than hang.
 *
 * @param options - memory, devices and bounds
 * @returns the handle
 * @throws {@link DeviceWorkerError} `BAD_OPTION` for non-shared memory or duplicate bases
 * @example
 * ```ts
 * import { DmaAllocator, GuestMemory } from '@libos/mem';
 * import { AtomicsLink, EntropyDriver } from '@libos/virtio';
 * import { startDeviceWorker } from '@libos/virtio/node';
 * const memory = new GuestMemory(4 << 20, { shared: true });
 * const worker = startDeviceWorker({
 *   memory,
 *   devices: [{ kind: 'rng', base: 0x1000, backend: { type: 'seeded', seed: 42 } }],
 * });
 * await worker.ready;
 * const dma = new DmaAllocator(memory, { base: 0x10000, length: (4 << 20) - 0x10000 });
 * const rng = await EntropyDriver.open({ memory, dma, base: 0x1000, link: new AtomicsLink(memory) });
 * console.log(await rng.read(16));
 * await worker.stop();
 * ```
 */
export function startDeviceWorker(options: DeviceWorkerOptions): DeviceWorker {
  return new DeviceWorker(options);
}
