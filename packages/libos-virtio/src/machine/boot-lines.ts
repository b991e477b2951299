import { FeatureBit } from '../feature-bits.js';
import type { MmioDeviceTransport } from '../transport/device-transport.js';
import type { OpenedDriver } from './attach-device.js';
import type { AnyDeviceClass } from './device-class.js';
import type { DeviceHandle } from './device-handle.js';
import { formatSize, hex } from './format.js';
import type { MachineMemoryMap } from './memory-map.js';

/** Names of the bits set in `features`, lowest first; unnamed bits as `bit<n>`. */
function featureNames(features: bigint, deviceClass: AnyDeviceClass): string {
  const byBit = new Map<number, string>();
  for (const [name, bit] of Object.entries(deviceClass.featureNames)) byBit.set(bit, name);
  for (const [name, bit] of Object.entries(FeatureBit)) byBit.set(bit, name);
  const names: string[] = [];
  for (let bit = 0; bit < 64; bit++) {
    if (((features >> BigInt(bit)) & 1n) === 0n) continue;
    names.push(byBit.get(bit) ?? `bit${bit}`);
  }
  return names.length === 0 ? '(none)' : names.join(' ');
}

/** What one boot line says about a device, whichever side it was learnt from. */
export interface BootDevice {
  /** The device's class: its name, feature names and details. */
  readonly deviceClass: AnyDeviceClass;
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
 * The boot lines of a machine in `mode` (shared by every mode; see `bootLog`).
 * Features and queues are left out of a device line when `null`.
 */
export function bootLines(
  mode: 'inline' | 'worker',
  map: MachineMemoryMap,
  shared: boolean,
  devices: readonly BootDevice[],
): string[] {
  const lines = [
    `machine: ${mode} mode, ${formatSize(map.memoryBytes)} guest memory (${shared ? 'SharedArrayBuffer' : 'ArrayBuffer'}), ${devices.length} virtio-mmio device(s)`,
  ];
  const last = map.registers[map.registers.length - 1];
  const window =
    last === undefined ? 'none' : `${hex(map.registers[0]!.start)}-${hex(last.end - 1)}`;
  lines.push(
    `machine: register blocks ${window}, DMA ${hex(map.dma.start)}-${hex(map.dma.end - 1)} (${formatSize(map.dma.end - map.dma.start)})`,
  );
  for (const d of devices) {
    const h = d.opened;
    const c = d.deviceClass;
    const features = d.features === null ? '' : `, features ${featureNames(d.features, c)}`;
    const queues = d.queueSizes === null ? '' : `, queues ${d.queueSizes.join('/')}`;
    // The class of the device's kind describes the device's driver.
    const details = c.bootDetails(h.driver as never);
    lines.push(
      `virtio${h.index} @ ${hex(h.base)}: ${c.name} (device id ${d.deviceId})${features}${queues}; ${details}`,
    );
  }
  return lines;
}

/** The sizes of the ready queues of a device. */
function readyQueueSizes(transport: MmioDeviceTransport): number[] {
  const sizes: number[] = [];
  for (let i = 0; i < transport.queueCount; i++) {
    const q = transport.queue(i);
    if (q.ready) sizes.push(q.size);
  }
  return sizes;
}

/** What a boot line says about an inline device: everything, read from its model. */
export function inlineBootDevice(deviceClass: AnyDeviceClass, handle: DeviceHandle): BootDevice {
  const transport = handle.model.core.transport;
  return {
    deviceClass,
    opened: handle,
    deviceId: transport.deviceId,
    features: transport.negotiatedFeatures ?? 0n,
    queueSizes: readyQueueSizes(transport),
  };
}
