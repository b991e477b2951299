/**
 * The NetDevice conformance suite against the virtio-net driver, inline: the device is
 * the driver, the peer is the far end of the cable whose near end is the device model's
 * backend. Run with and without MRG_RXBUF, with small receive buffers that force
 * multi-buffer frames, and without EVENT_IDX (the NO_NOTIFY / NO_INTERRUPT flags path).
 * The default rig negotiates HOST_TSO4: the suite sends ≤ MTU frames through it.
 */
import { describeNetDevice } from '@libos/net/testing';
import { type NetRigOptions, netRig } from './net-fixture.js';

function factory(options: NetRigOptions) {
  return {
    create: async () => {
      const rig = await netRig(options);
      return {
        device: rig.driver,
        peer: rig.wire,
        settle: async () => rig.settle(),
        dispose: () => rig.driver.close(),
      };
    },
  };
}

describeNetDevice(
  'virtio-net driver (inline, MRG_RXBUF, 2 KiB buffers, CSUM + HOST_TSO4 negotiated)',
  factory({}),
);
describeNetDevice(
  'virtio-net driver (inline, MRG_RXBUF, 256-byte buffers: multi-buffer frames)',
  factory({ driver: { rxBufferSize: 256 } }),
);
describeNetDevice(
  'virtio-net driver (inline, no MRG_RXBUF, no offloads)',
  factory({ driver: { mergeableRxBuffers: false, checksumOffload: false } }),
);
describeNetDevice(
  'virtio-net driver (inline, no EVENT_IDX, queue of 16)',
  factory({ driver: { eventIdx: false, queueSize: 16 } }),
);
