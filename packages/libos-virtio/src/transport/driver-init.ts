import { DeviceStatus } from '../device-status.js';
import { negotiateFeatures } from '../feature-bits.js';
import type {
  MmioDeviceIdentity,
  MmioDriverTransport,
  MmioQueueSetup,
} from './driver-transport.js';
import { TransportError } from './transport-error.js';

/**
 * What {@link initializeDevice} needs to bring a device up.
 *
 * @example
 * ```ts
 * import { DeviceType, FeatureBit, featureMask, type MmioInitOptions } from '@libos/virtio';
 * const options: MmioInitOptions = {
 *   expectedDeviceId: DeviceType.ENTROPY,
 *   supportedFeatures: featureMask(FeatureBit.VERSION_1, FeatureBit.EVENT_IDX),
 *   queues: [{ index: 0, size: 64, descriptorArea: 0x10000, driverArea: 0x10400, deviceArea: 0x10600 }],
 * };
 * ```
 */
export interface MmioInitOptions {
  /** The DeviceID this driver handles; another one fails with `WRONG_DEVICE`. */
  readonly expectedDeviceId?: number;
  /** Every feature the driver understands. */
  readonly supportedFeatures: bigint;
  /**
   * Picks the features to accept from the offered ones (default
   * {@link negotiateFeatures}: the intersection, VERSION_1 required). Throwing fails
   * initialisation with `FEATURES_REJECTED`.
   */
  readonly selectFeatures?: (offered: bigint, supported: bigint) => bigint;
  /** The queues to set up, in order (§3.1.1 step 7). */
  readonly queues: readonly MmioQueueSetup[];
}

/**
 * Outcome of a successful {@link initializeDevice}.
 *
 * @example
 * ```ts
 * const { negotiatedFeatures } = await driver.initialize(options);
 * const eventIdx = hasFeature(negotiatedFeatures, FeatureBit.EVENT_IDX);
 * ```
 */
export interface MmioInitResult extends MmioDeviceIdentity {
  /** The features the device offered. */
  readonly offeredFeatures: bigint;
  /** The features both sides agreed on (the device kept FEATURES_OK). */
  readonly negotiatedFeatures: bigint;
}

/**
 * The driver initialisation sequence of virtio 1.2 §3.1.1 over the virtio-mmio
 * transport (§4.2.3): probe (§4.2.3.1.1), reset, ACKNOWLEDGE, DRIVER, read the offered
 * features, write the accepted ones, FEATURES_OK and check it stuck, set up each queue
 * (§4.2.3.2), DRIVER_OK. On any failure after the probe it sets FAILED (§3.1.1: "the
 * driver SHOULD set the FAILED status bit") and rethrows.
 *
 * @param driver - the transport to initialise
 * @param options - expected device, features and queues
 * @returns identity and negotiated features
 * @throws TransportError `NOT_VIRTIO`, `UNSUPPORTED_VERSION`, `NO_DEVICE`,
 *   `WRONG_DEVICE`, `FEATURES_REJECTED`, a queue error, `DRIVER_OK_REJECTED`,
 *   `DEVICE_NEEDS_RESET` or `TIMEOUT`
 * @example
 * ```ts
 * import { initializeDevice } from '@libos/virtio';
 * const result = await initializeDevice(driver, { supportedFeatures, queues });
 * ```
 */
export async function initializeDevice(
  driver: MmioDriverTransport,
  options: MmioInitOptions,
): Promise<MmioInitResult> {
  const identity = driver.probe(options.expectedDeviceId);
  try {
    await driver.reset(); // step 1
    await driver.addStatus(DeviceStatus.ACKNOWLEDGE); // step 2
    await driver.addStatus(DeviceStatus.DRIVER); // step 3
    const offeredFeatures = await driver.readDeviceFeatures(); // step 4
    const select = options.selectFeatures ?? negotiateFeatures;
    let negotiatedFeatures: bigint;
    try {
      negotiatedFeatures = select(offeredFeatures, options.supportedFeatures);
    } catch (error) {
      throw new TransportError('FEATURES_REJECTED', `no acceptable feature set: ${String(error)}`);
    }
    await driver.writeDriverFeatures(negotiatedFeatures); // step 5
    // step 6: set FEATURES_OK, then re-read it: the device may refuse the subset
    const status = await driver.addStatus(DeviceStatus.FEATURES_OK);
    driver.checkDevice();
    if ((status & DeviceStatus.FEATURES_OK) === 0) {
      throw new TransportError('FEATURES_REJECTED', 'the device did not keep FEATURES_OK');
    }
    for (const queue of options.queues) await driver.setupQueue(queue); // step 7
    const final = await driver.addStatus(DeviceStatus.DRIVER_OK); // step 8
    driver.checkDevice();
    if ((final & DeviceStatus.DRIVER_OK) === 0) {
      throw new TransportError('DRIVER_OK_REJECTED', 'the device did not keep DRIVER_OK');
    }
    return { ...identity, offeredFeatures, negotiatedFeatures };
  } catch (error) {
    const deviceGone = error instanceof TransportError && error.code === 'TIMEOUT';
    if (!deviceGone) await driver.addStatus(DeviceStatus.FAILED).catch(() => {});
    throw error;
  }
}
