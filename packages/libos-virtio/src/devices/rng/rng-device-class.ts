import type { DeviceClass } from '../../machine/device-class.js';
import type { RngDeviceSpec } from '../../machine/device-spec.js';
import { modelOptions } from '../../machine/model-options.js';
import { EntropyDeviceModel } from './entropy-device-model.js';
import { EntropyDriver } from './entropy-driver.js';

/**
 * The virtio entropy {@link DeviceClass} (virtio 1.2 §5.4; it has no device-specific
 * features): builds an `EntropyDeviceModel` fed by the spec's source and opens an
 * `EntropyDriver`. Specs made by {@link rngDevice} carry it.
 *
 * @example
 * ```ts
 * import { SeededEntropy } from '@libos/sched';
 * import { createMachineOf, rngDeviceClass } from '@libos/virtio';
 * const machine = await createMachineOf({
 *   memoryBytes: 4 << 20,
 *   devices: [{ kind: 'rng', source: new SeededEntropy(7) }],
 *   classes: [rngDeviceClass],
 * });
 * ```
 */
export const rngDeviceClass: DeviceClass<'rng'> = {
  kind: 'rng',
  name: 'virtio-rng',
  featureNames: {},
  createModel: (spec, placement) =>
    new EntropyDeviceModel(placement, spec.source, modelOptions(spec, ['source'])),
  openDriver: (options, _queueMax, placement) => EntropyDriver.open({ ...options, ...placement }),
  bootDetails: (driver) => `pool ${driver.poolSize} bytes`,
};

/**
 * A virtio entropy {@link RngDeviceSpec} that carries {@link rngDeviceClass}, so that
 * {@link createMachineOf} links the entropy device's model and driver and nothing else.
 *
 * @param spec - the device's source, device model options and `driver` options
 * @returns the spec, with `kind: 'rng'` and its device class
 * @example
 * ```ts
 * import { SeededEntropy } from '@libos/sched';
 * import { createMachineOf, rngDevice } from '@libos/virtio';
 * const machine = await createMachineOf({
 *   memoryBytes: 4 << 20,
 *   devices: [rngDevice({ source: new SeededEntropy(7) })],
 * });
 * machine.devices[0].driver.fill(new Uint8Array(16));
 * ```
 */
export function rngDevice(spec: Omit<RngDeviceSpec, 'kind' | 'deviceClass'>): RngDeviceSpec {
  return { ...spec, kind: 'rng', deviceClass: rngDeviceClass };
}
