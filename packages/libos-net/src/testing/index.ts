/**
 * @libos/net/testing — helpers for testing network code: the {@link describeNetDevice}
 * conformance suite that every {@link NetDevice} implementation runs. Requires `vitest`
 * as a peer dependency.
 *
 * @packageDocumentation
 */
export type { NetDevice } from '../net-device.js';
export {
  describeNetDevice,
  type NetDeviceFactory,
  type NetDeviceUnderTest,
} from './describe-net-device.js';
