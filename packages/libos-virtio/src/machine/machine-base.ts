import type { DmaAllocator, GuestMemory } from '@libos/mem';
import type { Micros, Poller } from '@libos/sched';
import type { TransportLink } from '../transport/transport-link.js';
import type { OpenedDriver } from './attach-device.js';
import type { DeviceKind } from './device-spec.js';
import type { MachineMode } from './machine-options.js';
import type { MachineMemoryMap } from './memory-map.js';

/** Everything a machine mode assembled for its {@link MachineBase}. */
export interface MachineParts<H extends OpenedDriver> {
  /** Guest memory. */
  readonly memory: GuestMemory;
  /** The DMA region's allocator. */
  readonly dma: DmaAllocator;
  /** The drivers' link. */
  readonly link: TransportLink;
  /** Where everything lives. */
  readonly memoryMap: MachineMemoryMap;
  /** The boot lines. */
  readonly bootLog: readonly string[];
  /** The opened devices, in spec order. */
  readonly handles: readonly H[];
  /** Idle poll interval of a machine with network cards. */
  readonly netPollInterval: Micros;
}

/**
 * What every machine mode shares: lookups, the poll round's driver half, the poller
 * and idempotent close. A mode supplies how device models move frames
 * (`pumpDevices`) and how they are shut down after the drivers closed (`stopDevices`).
 */
export abstract class MachineBase<H extends OpenedDriver> {
  abstract readonly mode: MachineMode;
  readonly memory: GuestMemory;
  readonly dma: DmaAllocator;
  readonly link: TransportLink;
  readonly memoryMap: MachineMemoryMap;
  readonly bootLog: readonly string[];

  protected readonly handles: readonly H[];
  readonly #hasNets: boolean;
  readonly #netPollInterval: Micros;
  #closing: Promise<void> | null = null;
  #lastNow: Micros = 0;
  #busy = true;

  constructor(parts: MachineParts<H>) {
    this.memory = parts.memory;
    this.dma = parts.dma;
    this.link = parts.link;
    this.memoryMap = parts.memoryMap;
    this.bootLog = parts.bootLog;
    this.handles = Object.freeze([...parts.handles]);
    this.#hasNets = this.handles.some((h) => h.kind === 'net');
    this.#netPollInterval = parts.netPollInterval;
  }

  /** Frames the device models moved between their backends and the guest. */
  protected abstract pumpDevices(): number;

  /** Stops the device models once every driver is closed. Never rejects. */
  protected abstract stopDevices(): Promise<void>;

  get closed(): boolean {
    return this.#closing !== null;
  }

  ofKind<K extends DeviceKind>(kind: K): readonly Extract<H, { readonly kind: K }>[] {
    return this.handles.filter((h): h is Extract<H, { readonly kind: K }> => h.kind === kind);
  }

  find<K extends DeviceKind>(kind: K, nth = 0): Extract<H, { readonly kind: K }> | undefined {
    return this.ofKind(kind)[nth];
  }

  poll(): boolean {
    if (this.#closing !== null) return false;
    const moved = this.pumpDevices();
    for (const h of this.handles) {
      if (h.kind === 'net') h.driver.poll();
      else if (h.kind === 'blk') h.driver.core.poll();
      // rng and console drivers take their interrupts from the link.
    }
    return moved > 0;
  }

  poller(): Poller {
    return {
      pollAt: () => {
        if (this.#closing !== null) return null;
        if (this.#busy) return this.#lastNow;
        return this.#hasNets ? this.#lastNow + this.#netPollInterval : null;
      },
      poll: (now) => {
        this.#lastNow = now;
        this.#busy = this.poll();
      },
    };
  }

  close(): Promise<void> {
    this.#closing ??= closeDrivers(this.handles).then(() => this.stopDevices());
    return this.#closing;
  }
}

/**
 * Flushes every writable disk, then closes every driver (last first). Never rejects: a
 * failing flush or close (a device that already failed) does not keep the rest open.
 */
export async function closeDrivers(handles: readonly OpenedDriver[]): Promise<void> {
  for (const h of handles) {
    if (h.kind === 'blk' && !h.driver.readOnly) await h.driver.flush().catch(() => undefined);
  }
  for (const h of [...handles].reverse()) await h.driver.close().catch(() => undefined);
}
