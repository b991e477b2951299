import type { DeviceClass } from '../../machine/device-class.js';
import type { NetDeviceSpec } from '../../machine/device-spec.js';
import { modelOptions } from '../../machine/model-options.js';
import { VirtioNetFeature } from './net-constants.js';
import { VirtioNetDeviceModel } from './net-device-model.js';
import { VirtioNetDriver } from './net-driver.js';

/**
 * The virtio-net {@link DeviceClass} (virtio 1.2 §5.1): builds a `VirtioNetDeviceModel`
 * over the spec's backend and opens a `VirtioNetDriver` whose rings default to the
 * device's queue size. Specs made by {@link netDevice} carry it.
 *
 * @example
 * ```ts
 * import { createMachineOf, netDeviceClass } from '@libos/virtio';
 * const machine = await createMachineOf({
 *   memoryBytes: 4 << 20,
 *   devices: [{ kind: 'net', backend }],
 *   classes: [netDeviceClass],
 * });
 * ```
 */
export const netDeviceClass: DeviceClass<'net'> = {
  kind: 'net',
  name: 'virtio-net',
  featureNames: VirtioNetFeature,
  createModel: (spec, placement) =>
    new VirtioNetDeviceModel(placement, spec.backend, modelOptions(spec, ['backend'])),
  openDriver: (options, queueMax, placement) =>
    VirtioNetDriver.open({ ...options, queueSize: options?.queueSize ?? queueMax, ...placement }),
  bootDetails: (driver) =>
    `mac ${formatMac(driver.macAddress)}, mtu ${driver.capabilities.maxTransmitUnit}, link ${driver.linkUp ? 'up' : 'down'}`,
};

/** `52:54:00:12:34:56`. */
function formatMac(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(':');
}

/**
 * A virtio-net {@link NetDeviceSpec} that carries {@link netDeviceClass}, so that
 * {@link createMachineOf} links the network card's model and driver and nothing else.
 *
 * @param spec - the card's backend, device model options and `driver` options
 * @returns the spec, with `kind: 'net'` and its device class
 * @example
 * ```ts
 * import { createLink } from '@libos/net';
 * import { createMachineOf, netDevice } from '@libos/virtio';
 * const [backend] = createLink();
 * const machine = await createMachineOf({ memoryBytes: 4 << 20, devices: [netDevice({ backend })] });
 * const [nic] = machine.devices; // NetHandle
 * ```
 */
export function netDevice(spec: Omit<NetDeviceSpec, 'kind' | 'deviceClass'>): NetDeviceSpec {
  return { ...spec, kind: 'net', deviceClass: netDeviceClass };
}
