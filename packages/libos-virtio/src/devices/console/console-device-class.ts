import type { DeviceClass } from '../../machine/device-class.js';
import type { ConsoleDeviceSpec } from '../../machine/device-spec.js';
import { modelOptions } from '../../machine/model-options.js';
import { ConsoleFeature } from './console-constants.js';
import { ConsoleDeviceModel } from './console-device-model.js';
import { ConsoleDriver } from './console-driver.js';

/**
 * The virtio console {@link DeviceClass} (virtio 1.2 §5.3, one port): builds a
 * `ConsoleDeviceModel` whose output goes to the spec's `output` and opens a
 * `ConsoleDriver`. Specs made by {@link consoleDevice} carry it.
 *
 * @example
 * ```ts
 * import { consoleDeviceClass, createMachineOf } from '@libos/virtio';
 * const machine = await createMachineOf({
 *   memoryBytes: 4 << 20,
 *   devices: [{ kind: 'console', output: (bytes) => process.stdout.write(bytes.slice()) }],
 *   classes: [consoleDeviceClass],
 * });
 * ```
 */
export const consoleDeviceClass: DeviceClass<'console'> = {
  kind: 'console',
  name: 'virtio-console',
  featureNames: ConsoleFeature,
  createModel: (spec, placement) => {
    const output = spec.output;
    return new ConsoleDeviceModel(
      placement,
      { output: (bytes) => output(bytes) },
      modelOptions(spec, ['output']),
    );
  },
  openDriver: (options, _queueMax, placement) => ConsoleDriver.open({ ...options, ...placement }),
  bootDetails: (driver) => {
    const size = driver.hasSize ? driver.size() : null;
    return size === null ? 'no size' : `size ${size.cols}x${size.rows}`;
  },
};

/**
 * A virtio console {@link ConsoleDeviceSpec} that carries {@link consoleDeviceClass}, so
 * that {@link createMachineOf} links the console's model and driver and nothing else.
 *
 * @param spec - the console's `output`, device model options and `driver` options
 * @returns the spec, with `kind: 'console'` and its device class
 * @example
 * ```ts
 * import { consoleDevice, createMachineOf } from '@libos/virtio';
 * const machine = await createMachineOf({
 *   memoryBytes: 4 << 20,
 *   devices: [consoleDevice({ output: (bytes) => process.stdout.write(bytes.slice()) })],
 * });
 * await machine.devices[0].driver.write(new TextEncoder().encode('hello\n'));
 * ```
 */
export function consoleDevice(
  spec: Omit<ConsoleDeviceSpec, 'kind' | 'deviceClass'>,
): ConsoleDeviceSpec {
  return { ...spec, kind: 'console', deviceClass: consoleDeviceClass };
}
