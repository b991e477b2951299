import type { EntropySource } from '@libos/sched';
import { type RngDeviceSpec, type RngHandle, rngDevice } from '@libos/virtio';
import type { PlanContext, ServiceDeclaration } from '../service.js';

/**
 * Options of {@link entropy}.
 *
 * @example
 * ```ts
 * import type { EntropyOptions } from '@libos/boot/rng';
 * const options: EntropyOptions = { source: { fill: (b) => crypto.getRandomValues(b) } };
 * ```
 */
export interface EntropyOptions {
  /** Where the device's bytes come from; default the host's entropy. */
  readonly source?: EntropySource;
  /** virtio-rng device options. */
  readonly device?: Omit<RngDeviceSpec, 'kind' | 'source' | 'deviceClass'>;
}

/**
 * What the app gets for an {@link entropy}: the virtio-rng driver as an
 * `EntropySource` (`fill(bytes)`), and the device.
 *
 * @example
 * ```ts
 * const { rng } = (await boot({ rng: entropy() })).services;
 * const key = new Uint8Array(32);
 * rng.source.fill(key);
 * ```
 */
export interface EntropyHandle {
  /** Random bytes from the device (the driver keeps a pool filled ahead). */
  readonly source: EntropySource;
  /** The virtio-rng device: driver and model. */
  readonly device: RngHandle;
}

/**
 * Declares an entropy device (virtio-rng) fed by the host's randomness or `source`.
 *
 * @param options - source and device options
 * @returns the declaration to pass to `boot()`
 * @example
 * ```ts
 * import { boot } from '@libos/boot';
 * import { entropy } from '@libos/boot/rng';
 * const os = await boot({ rng: entropy() });
 * os.services.rng.source.fill(new Uint8Array(16));
 * ```
 */
export function entropy(options: EntropyOptions = {}): ServiceDeclaration<EntropyHandle> {
  return {
    kind: 'entropy',
    devices: (context: PlanContext): readonly RngDeviceSpec[] => [
      rngDevice({ ...options.device, source: options.source ?? context.host.entropy }),
    ],
    start: async (context, devices) => {
      const device = devices[0] as RngHandle;
      await device.driver.ready();
      context.log(`${context.name}: virtio-rng ready`);
      return { handle: { source: device.driver, device }, stop: async () => {} };
    },
  };
}
