/**
 * Entry file of a device worker (`startDeviceWorker` runs it in a `node:worker_threads`
 * Worker; built as `dist/device-worker.js`). Importing it outside a worker does nothing.
 *
 * @packageDocumentation
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { DeviceWorkerData } from './device-worker-description.js';
import { runDeviceWorker } from './device-worker-runtime.js';

if (parentPort !== null) void runDeviceWorker(parentPort, workerData as DeviceWorkerData);
