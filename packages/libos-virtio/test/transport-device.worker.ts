/**
 * A virtio device model in a worker thread for transport-worker.test.ts: an
 * MmioDeviceTransport over the shared guest memory, wired with an AtomicsLink. It
 * reports what the driver does as messages and obeys a few commands.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { GuestMemory } from '@libos/mem';
import { AtomicsLink, MmioDeviceTransport } from '@libos/virtio';

/** What the test thread passes in `workerData`. */
export interface DeviceWorkerData {
  readonly buffer: SharedArrayBuffer;
  readonly base: number;
  readonly deviceId: number;
  readonly features: bigint;
  readonly queueMaxSizes: readonly number[];
}

/** Commands the test thread sends. */
export type DeviceCommand =
  | { readonly type: 'used'; readonly count: number }
  | { readonly type: 'needs-reset'; readonly reason: string }
  | { readonly type: 'config'; readonly offset: number; readonly bytes: Uint8Array }
  | { readonly type: 'state' }
  | { readonly type: 'stop' };

/** Events the worker posts. */
export type DeviceEvent =
  | { readonly type: 'started' }
  | { readonly type: 'reset' }
  | { readonly type: 'driver-ok'; readonly features: bigint | null }
  | {
      readonly type: 'queue-ready';
      readonly index: number;
      readonly size: number;
      readonly descriptorArea: bigint;
    }
  | { readonly type: 'notify'; readonly queue: number; readonly total: number }
  | { readonly type: 'violation'; readonly code: string }
  | { readonly type: 'state'; readonly status: number; readonly readyQueues: number[] }
  | { readonly type: 'stopped' };

const port = parentPort;
if (port === null) throw new Error('must run as a worker');
const data = workerData as DeviceWorkerData;
const memory = new GuestMemory(data.buffer);
const post = (event: DeviceEvent): void => port.postMessage(event);
let notifications = 0;

const device = new MmioDeviceTransport({
  memory,
  base: data.base,
  link: new AtomicsLink(memory),
  deviceId: data.deviceId,
  features: data.features,
  queueMaxSizes: data.queueMaxSizes,
  config: new Uint8Array(8),
  handlers: {
    onReset: () => post({ type: 'reset' }),
    onDriverOk: () => post({ type: 'driver-ok', features: device.negotiatedFeatures }),
    onQueueReady: (q) =>
      post({ type: 'queue-ready', index: q.index, size: q.size, descriptorArea: q.descriptorArea }),
    onNotify: (queue) => {
      notifications++;
      post({ type: 'notify', queue, total: notifications });
    },
    onViolation: (v) => post({ type: 'violation', code: v.code }),
  },
});

port.on('message', (command: DeviceCommand) => {
  switch (command.type) {
    case 'used':
      for (let i = 0; i < command.count; i++) device.signalUsedBuffers();
      break;
    case 'needs-reset':
      device.markNeedsReset(command.reason);
      break;
    case 'config':
      device.updateConfig(command.offset, command.bytes);
      break;
    case 'state': {
      const readyQueues: number[] = [];
      for (let i = 0; i < device.queueCount; i++) if (device.queue(i).ready) readyQueues.push(i);
      post({ type: 'state', status: device.status, readyQueues });
      break;
    }
    case 'stop':
      device.stop();
      post({ type: 'stopped' });
      port.close();
      break;
  }
});

device.start();
post({ type: 'started' });
