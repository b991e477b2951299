import type { MessagePort } from 'node:worker_threads';
import { GuestMemory } from '@libos/mem';
import { type EntropySource, HostEntropy, SeededEntropy } from '@libos/sched';
import {
  AtomicsLink,
  type BlockBackend,
  BlockDeviceModel,
  ConsoleDeviceModel,
  EntropyDeviceModel,
  FrameChannel,
  type LinkWatch,
  MemoryBlockBackend,
  VirtioNetDeviceModel,
} from '../index.js';
import type {
  BlockBackendDescription,
  DeviceWorkerData,
  EntropyBackendDescription,
  WorkerDeviceDescription,
} from './device-worker-description.js';
import type { FromDeviceWorker, ToDeviceWorker } from './device-worker-messages.js';
import { FileBlockBackend } from './file-block-backend.js';

/** One built device: how to stop it and, for a console, how to feed it. */
interface RunningDevice {
  readonly base: number;
  readonly stop: () => Promise<void>;
  readonly input?: (bytes: Uint8Array) => void;
}

/**
 * The body of a device worker: builds every described device model on the shared guest
 * memory with an {@link AtomicsLink}, starts them, reports `ready`, then serves parent
 * commands until `stop`. Exported for the worker entry file; not part of the API.
 *
 * @param port - the worker's `parentPort`
 * @param data - the `workerData`
 * @returns resolves once the devices are running (or the failure was reported)
 * @example
 * ```ts
 * await runDeviceWorker(parentPort, workerData as DeviceWorkerData);
 * ```
 */
export async function runDeviceWorker(port: MessagePort, data: DeviceWorkerData): Promise<void> {
  const post = (message: FromDeviceWorker): void => port.postMessage(message);
  const memory = new GuestMemory(data.memory);
  const running: RunningDevice[] = [];
  const stopAll = async (): Promise<void> => {
    for (const d of running.splice(0)) await d.stop().catch(() => {});
  };
  try {
    for (const d of data.devices) running.push(await build(memory, d, post));
  } catch (error) {
    await stopAll();
    const e = error instanceof Error ? error : new Error(String(error));
    const code = (e as { code?: unknown }).code;
    post({
      type: 'failed',
      name: e.name,
      message: e.message,
      ...(typeof code === 'string' ? { code } : {}),
    });
    port.close();
    return;
  }
  port.on('message', (message: ToDeviceWorker) => {
    if (message.type === 'console-input') {
      running.find((d) => d.base === message.base)?.input?.(message.bytes);
    } else if (message.type === 'stop') {
      void stopAll().then(() => {
        post({ type: 'stopped' });
        port.close();
      });
    }
  });
  post({ type: 'ready' });
}

async function build(
  memory: GuestMemory,
  d: WorkerDeviceDescription,
  post: (message: FromDeviceWorker) => void,
): Promise<RunningDevice> {
  const link = new AtomicsLink(memory);
  const placement = { memory, base: d.base, link };
  switch (d.kind) {
    case 'blk': {
      const backend = await blockBackend(d.backend);
      let model: BlockDeviceModel;
      try {
        model = new BlockDeviceModel(placement, backend, d.options);
      } catch (e) {
        if (backend instanceof FileBlockBackend) await backend.close();
        throw e;
      }
      model.start();
      return {
        base: d.base,
        stop: async () => {
          model.stop();
          if (backend instanceof FileBlockBackend) await backend.close();
        },
      };
    }
    case 'rng': {
      const model = new EntropyDeviceModel(placement, entropySource(d.backend), d.options);
      model.start();
      return { base: d.base, stop: async () => model.stop() };
    }
    case 'console': {
      const base = d.base;
      const model = new ConsoleDeviceModel(
        placement,
        { output: (bytes) => post({ type: 'console-output', base, bytes: bytes.slice() }) },
        d.options,
      );
      model.start();
      return { base, stop: async () => model.stop(), input: (bytes) => model.input(bytes) };
    }
    case 'net': {
      const channel = FrameChannel.attach(d.channel);
      const backend = channel.port('worker', {
        macAddress: d.macAddress,
        maxTransmitUnit: d.maxTransmitUnit,
      });
      const model = new VirtioNetDeviceModel(placement, backend, d.options);
      model.start();
      // Frames from the parent, or slots it freed: move what can move now.
      const channelLink = new AtomicsLink(new GuestMemory(d.channel));
      const watch: LinkWatch = channelLink.watch(backend.waitAddress, () => {
        while (model.poll() > 0);
      });
      return {
        base: d.base,
        stop: async () => {
          watch.stop();
          model.stop();
        },
      };
    }
  }
}

async function blockBackend(d: BlockBackendDescription): Promise<BlockBackend> {
  if (d.type === 'memory') {
    return new MemoryBlockBackend(new Uint8Array(d.buffer), { readOnly: d.readOnly ?? false });
  }
  return FileBlockBackend.open(d.path, { readOnly: d.readOnly ?? false });
}

function entropySource(d: EntropyBackendDescription): EntropySource {
  return d.type === 'host' ? new HostEntropy() : new SeededEntropy(d.seed, d.stream ?? 0);
}
