import type { DmaAllocator, GuestMemory } from '@libos/mem';
import type { Micros, Poller } from '@libos/sched';
import type { TransportLink } from '../transport/transport-link.js';
import type { DeviceHandle, HandleOfKind, HandlesOf, NetHandle } from './device-handle.js';
import type { DeviceKind, DeviceSpec } from './device-spec.js';
import type { Machine } from './machine.js';
import type { MachineMemoryMap } from './memory-map.js';

/** Everything {@link createMachine} assembled for an {@link InlineMachine}. */
export interface InlineMachineParts {
  /** Guest memory. */
  readonly memory: GuestMemory;
  /** The DMA region's allocator. */
  readonly dma: DmaAllocator;
  /** The inline link. */
  readonly link: TransportLink;
  /** Where everything lives. */
  readonly memoryMap: MachineMemoryMap;
  /** The boot lines. */
  readonly bootLog: readonly string[];
  /** The opened devices, in spec order. */
  readonly handles: readonly DeviceHandle[];
  /** Idle poll interval of a machine with network cards. */
  readonly netPollInterval: Micros;
}

/**
 * The {@link Machine} of mode `'inline'`: device models and drivers share the caller's
 * thread through one `InlineLink`.
 */
export class InlineMachine<T extends readonly DeviceSpec[]> implements Machine<T> {
  readonly mode = 'inline' as const;
  readonly memory: GuestMemory;
  readonly dma: DmaAllocator;
  readonly link: TransportLink;
  readonly memoryMap: MachineMemoryMap;
  readonly devices: HandlesOf<T>;
  readonly bootLog: readonly string[];

  readonly #handles: readonly DeviceHandle[];
  readonly #nets: readonly NetHandle[];
  readonly #netPollInterval: Micros;
  #closing: Promise<void> | null = null;
  #lastNow: Micros = 0;
  #busy = true;

  constructor(parts: InlineMachineParts) {
    this.memory = parts.memory;
    this.dma = parts.dma;
    this.link = parts.link;
    this.memoryMap = parts.memoryMap;
    this.bootLog = parts.bootLog;
    this.#handles = Object.freeze([...parts.handles]);
    // The handles were built from the specs one for one, in order: this is their type.
    this.devices = this.#handles as unknown as HandlesOf<T>;
    this.#nets = this.ofKind('net');
    this.#netPollInterval = parts.netPollInterval;
  }

  get closed(): boolean {
    return this.#closing !== null;
  }

  ofKind<K extends DeviceKind>(kind: K): readonly HandleOfKind<K>[] {
    return this.#handles.filter((h): h is HandleOfKind<K> => h.kind === kind);
  }

  find<K extends DeviceKind>(kind: K, nth = 0): HandleOfKind<K> | undefined {
    return this.ofKind(kind)[nth];
  }

  poll(): boolean {
    if (this.#closing !== null) return false;
    let moved = 0;
    for (const h of this.#nets) moved += h.model.poll();
    for (const h of this.#handles) {
      if (h.kind === 'net') h.driver.poll();
      else if (h.kind === 'blk') h.driver.core.poll();
      // rng and console drivers take their interrupts from the link (inline: at once).
    }
    return moved > 0;
  }

  poller(): Poller {
    return {
      pollAt: () => {
        if (this.#closing !== null) return null;
        if (this.#busy) return this.#lastNow;
        return this.#nets.length > 0 ? this.#lastNow + this.#netPollInterval : null;
      },
      poll: (now) => {
        this.#lastNow = now;
        this.#busy = this.poll();
      },
    };
  }

  close(): Promise<void> {
    this.#closing ??= closeHandles(this.#handles);
    return this.#closing;
  }
}

/**
 * Flushes every disk, closes every driver, stops every model. Never rejects: a failing
 * flush or close (a device that already failed) does not keep the rest open.
 */
export async function closeHandles(handles: readonly DeviceHandle[]): Promise<void> {
  for (const h of handles) {
    if (h.kind === 'blk' && !h.driver.readOnly) await h.driver.flush().catch(() => undefined);
  }
  for (const h of [...handles].reverse()) await h.driver.close().catch(() => undefined);
  for (const h of handles) h.model.stop();
}
