import { BlkFeature } from '../devices/blk/blk-constants.js';
import { ConsoleFeature } from '../devices/console/console-constants.js';
import { VirtioNetFeature } from '../devices/net/net-constants.js';
import { FeatureBit } from '../feature-bits.js';
import type { MmioDeviceTransport } from '../transport/device-transport.js';
import type { OpenedDriver } from './attach-device.js';
import type { DeviceHandle } from './device-handle.js';
import type { MachineMemoryMap } from './memory-map.js';

/** Device-specific feature names by kind (virtio 1.2 §5.1.3, §5.2.3, §5.3.3; rng has none). */
const DEVICE_FEATURES: Readonly<Record<DeviceHandle['kind'], Readonly<Record<string, number>>>> = {
  net: VirtioNetFeature,
  blk: BlkFeature,
  rng: {},
  console: ConsoleFeature,
};

const KIND_NAMES: Readonly<Record<DeviceHandle['kind'], string>> = {
  net: 'virtio-net',
  blk: 'virtio-blk',
  rng: 'virtio-rng',
  console: 'virtio-console',
};

/** `0x00001000`. */
function hex(n: number): string {
  return `0x${n.toString(16).padStart(8, '0')}`;
}

/** `16 MiB`, `64 KiB`, `1000 B`. */
function size(bytes: number): string {
  if (bytes >= 1 << 20 && bytes % (1 << 20) === 0) return `${bytes / (1 << 20)} MiB`;
  if (bytes >= 1 << 20) return `${(bytes / (1 << 20)).toFixed(1)} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} B`;
}

/** Names of the bits set in `features`, lowest first; unnamed bits as `bit<n>`. */
function featureNames(features: bigint, kind: DeviceHandle['kind']): string {
  const byBit = new Map<number, string>();
  for (const [name, bit] of Object.entries(DEVICE_FEATURES[kind])) byBit.set(bit, name);
  for (const [name, bit] of Object.entries(FeatureBit)) byBit.set(bit, name);
  const names: string[] = [];
  for (let bit = 0; bit < 64; bit++) {
    if (((features >> BigInt(bit)) & 1n) === 0n) continue;
    names.push(byBit.get(bit) ?? `bit${bit}`);
  }
  return names.length === 0 ? '(none)' : names.join(' ');
}

function queueSizes(transport: MmioDeviceTransport): number[] {
  const sizes: number[] = [];
  for (let i = 0; i < transport.queueCount; i++) {
    const q = transport.queue(i);
    if (q.ready) sizes.push(q.size);
  }
  return sizes;
}

function mac(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(':');
}

/** What a device says about itself after the id, features and queues. */
function details(handle: OpenedDriver): string {
  switch (handle.kind) {
    case 'net': {
      const d = handle.driver;
      return `mac ${mac(d.macAddress)}, mtu ${d.capabilities.maxTransmitUnit}, link ${d.linkUp ? 'up' : 'down'}`;
    }
    case 'blk': {
      const d = handle.driver;
      return `${d.sectorCount} × ${d.sectorSize}-byte sectors (${size(d.sectorCount * d.sectorSize)}), ${d.readOnly ? 'read-only' : 'read-write'}`;
    }
    case 'rng':
      return `pool ${handle.driver.poolSize} bytes`;
    case 'console': {
      const s = handle.driver.hasSize ? handle.driver.size() : null;
      return s === null ? 'no size' : `size ${s.cols}x${s.rows}`;
    }
  }
}

/** What one boot line says about a device, whichever side it was learnt from. */
export interface BootDevice {
  /** The opened driver and where it is. */
  readonly opened: OpenedDriver;
  /** The virtio device id the register block reports. */
  readonly deviceId: number;
  /** The negotiated features, or `null` when this side does not know them. */
  readonly features: bigint | null;
  /** The ready queues' sizes, or `null` when this side does not know them. */
  readonly queueSizes: readonly number[] | null;
}

/**
 * The boot lines of a machine in `mode` (shared by every mode; see {@link bootLog}).
 * Features and queues are left out of a device line when `null`.
 */
export function bootLines(
  mode: 'inline' | 'worker',
  map: MachineMemoryMap,
  shared: boolean,
  devices: readonly BootDevice[],
): string[] {
  const lines = [
    `machine: ${mode} mode, ${size(map.memoryBytes)} guest memory (${shared ? 'SharedArrayBuffer' : 'ArrayBuffer'}), ${devices.length} virtio-mmio device(s)`,
  ];
  const last = map.registers[map.registers.length - 1];
  const window =
    last === undefined ? 'none' : `${hex(map.registers[0]!.start)}-${hex(last.end - 1)}`;
  lines.push(
    `machine: register blocks ${window}, DMA ${hex(map.dma.start)}-${hex(map.dma.end - 1)} (${size(map.dma.end - map.dma.start)})`,
  );
  for (const d of devices) {
    const h = d.opened;
    const features = d.features === null ? '' : `, features ${featureNames(d.features, h.kind)}`;
    const queues = d.queueSizes === null ? '' : `, queues ${d.queueSizes.join('/')}`;
    lines.push(
      `virtio${h.index} @ ${hex(h.base)}: ${KIND_NAMES[h.kind]} (device id ${d.deviceId})${features}${queues}; ${details(h)}`,
    );
  }
  return lines;
}

/**
 * The kernel-like boot lines a machine prints through `onLog`: guest memory, the memory
 * map, then one line per device with its register block, device id, negotiated
 * features, queue sizes and main properties.
 *
 * @param map - the machine's memory map
 * @param shared - whether guest memory is a SharedArrayBuffer
 * @param handles - the opened devices
 * @returns the lines, in order
 * @example
 * ```ts
 * import { bootLog } from '@libos/virtio';
 * for (const line of bootLog(machine.memoryMap, true, machine.devices)) console.log(line);
 * // virtio0 @ 0x00001000: virtio-net (device id 1), features CSUM GUEST_CSUM …, queues 256/256; mac …
 * ```
 */
export function bootLog(
  map: MachineMemoryMap,
  shared: boolean,
  handles: readonly DeviceHandle[],
): string[] {
  return bootLines(
    'inline',
    map,
    shared,
    handles.map((h) => {
      const transport = h.model.core.transport;
      return {
        opened: h,
        deviceId: transport.deviceId,
        features: transport.negotiatedFeatures ?? 0n,
        queueSizes: queueSizes(transport),
      };
    }),
  );
}
