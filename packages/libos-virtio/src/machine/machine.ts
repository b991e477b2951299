import type { DmaAllocator, GuestMemory } from '@libos/mem';
import type { Poller } from '@libos/sched';
import type { TransportLink } from '../transport/transport-link.js';
import type { HandleOfKind, HandlesOf } from './device-handle.js';
import type { DeviceKind, DeviceSpec } from './device-spec.js';
import type { MachineMode } from './machine-options.js';
import type { MachineMemoryMap } from './memory-map.js';

/**
 * An in-process virtual machine made by {@link createMachine}: guest memory, its memory
 * map, one virtio-mmio device model per spec (started) and its guest driver (opened),
 * paired in typed handles.
 *
 * **Driving it.** Inline device models serve every doorbell synchronously, so
 * virtio-blk, virtio-rng and virtio-console requests complete without polling (a
 * virtio-blk request completes when its backend promise settles). Only virtio-net
 * needs the run loop: frames waiting in a net backend move into the guest only when
 * the model polls it. Call {@link MachineControl.poll} from your loop, or register
 * {@link MachineControl.poller} with a `@libos/sched` scheduler.
 *
 * @typeParam T - the device specs it was created from
 * @example
 * ```ts
 * const machine = await createMachine({ memoryBytes: 16 << 20, devices: [{ kind: 'net', backend }] });
 * const [nic] = machine.devices; // NetHandle
 * sched.addPoller(machine.poller());
 * await machine.close();
 * ```
 */
export interface Machine<T extends readonly DeviceSpec[] = readonly DeviceSpec[]>
  extends MachineControl {
  /** One handle per spec, in order, typed after the specs: `[NetHandle, BlkHandle, …]`. */
  readonly devices: HandlesOf<T>;

  /**
   * Every device of a kind, in order.
   *
   * @param kind - the device kind
   * @returns the handles (possibly none)
   * @example
   * ```ts
   * for (const disk of machine.ofKind('blk')) await disk.driver.flush();
   * ```
   */
  ofKind<K extends DeviceKind>(kind: K): readonly HandleOfKind<K>[];

  /**
   * The `nth` device of a kind.
   *
   * @param kind - the device kind
   * @param nth - which one, counting from 0 (default 0)
   * @returns the handle, or `undefined` when there are not that many
   * @example
   * ```ts
   * const tty = machine.find('console');
   * tty?.model.input(new TextEncoder().encode('hi\n'));
   * ```
   */
  find<K extends DeviceKind>(kind: K, nth?: number): HandleOfKind<K> | undefined;
}

/**
 * What every machine has whatever its mode and device types: memory, map, link, boot
 * log, the run loop hooks and close. {@link Machine} adds the typed devices;
 * `@libos/virtio/node`'s `WorkerMachine` adds worker-mode handles.
 *
 * @example
 * ```ts
 * import type { MachineControl } from '@libos/virtio';
 * async function shutdown(machine: MachineControl): Promise<void> {
 *   while (machine.poll());
 *   await machine.close();
 * }
 * ```
 */
export interface MachineControl {
  /** Where the device models run. */
  readonly mode: MachineMode;
  /** Guest memory (a `SharedArrayBuffer` when the host has one). */
  readonly memory: GuestMemory;
  /** The allocator of the DMA region (drivers' rings and buffers). */
  readonly dma: DmaAllocator;
  /** The doorbells between drivers and device models. */
  readonly link: TransportLink;
  /** Where the register blocks and the DMA region are. */
  readonly memoryMap: MachineMemoryMap;
  /** The boot lines, as also given to `onLog`. */
  readonly bootLog: readonly string[];
  /** Whether {@link MachineControl.close} was called. */
  readonly closed: boolean;

  /**
   * One round of device work: every virtio-net model moves frames between its backend
   * and the guest rings (inline: `VirtioNetDeviceModel.poll`; worker mode: the frame
   * channels are pumped, `DeviceWorker.pump`), then every driver handles a pending
   * interrupt (inline links have already delivered them; this matters for other
   * links). Does nothing once closed.
   *
   * @returns whether anything moved (frames received, transmitted or dropped)
   * @example
   * ```ts
   * while (machine.poll()); // until quiet
   * ```
   */
  poll(): boolean;

  /**
   * A `@libos/sched` poller that drives {@link MachineControl.poll}.
   *
   * How it detects pending work: after a poll that moved frames, more may be waiting
   * (a backend holds more than one poll's receive budget, the guest may have re-posted
   * buffers), so `pollAt()` returns the time of that poll — "now". Otherwise a machine
   * with network cards asks to be polled again `netPollInterval` µs later (a
   * `NetDevice` backend has no "frames pending" signal), and a machine without network
   * cards returns `null`: its inline devices complete on their own. After `close` it
   * returns `null`.
   *
   * @returns a new poller for this machine
   * @example
   * ```ts
   * const handle = sim.scheduler.addPoller(machine.poller(), 'machine-a');
   * ```
   */
  poller(): Poller;

  /**
   * Shuts the machine down: flushes every disk, closes every driver (device reset,
   * rings and buffers freed), then stops every device model (worker mode: stops the
   * worker, bounded). Idempotent: later calls
   * return the same promise. Afterwards drivers refuse work.
   *
   * @returns resolves once everything is closed
   * @example
   * ```ts
   * await machine.close();
   * await machine.close(); // fine
   * ```
   */
  close(): Promise<void>;
}
