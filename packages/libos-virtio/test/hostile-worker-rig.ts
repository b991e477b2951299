/**
 * Starts hostile-device.worker.ts in a worker thread. Node 20 does not apply
 * `--import tsx` from a worker's execArgv to its entry module, so an eval'd bootstrap
 * registers tsx's ESM hooks first, then imports the TypeScript worker.
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { HostileCommand, HostileReply } from './hostile-device.worker.js';
import { bounded, START_MS } from './worker-rig.js';

const TSX_API = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api')).href;
const WORKER_URL = new URL('./hostile-device.worker.ts', import.meta.url).href;
const BOOTSTRAP = `import(${JSON.stringify(TSX_API)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(WORKER_URL)}); });`;

/** Distributive Omit: a command without its `id`. */
type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;

/** A hostile device thread: commands are answered in order, each bounded in time. */
export interface HostileWorker {
  send(command: WithoutId<HostileCommand>): Promise<HostileReply>;
  terminate(): Promise<void>;
}

export async function startHostileWorker(): Promise<HostileWorker> {
  const worker = new Worker(BOOTSTRAP, { eval: true, execArgv: ['--conditions=libos-source'] });
  const pending = new Map<number, (reply: HostileReply) => void>();
  let failure: unknown = null;
  worker.on('message', (reply: HostileReply) => {
    pending.get(reply.id)?.(reply);
    pending.delete(reply.id);
  });
  worker.on('error', (e) => {
    failure = e;
  });
  let next = 0;
  const send = (command: WithoutId<HostileCommand>, ms?: number): Promise<HostileReply> => {
    if (failure !== null) return Promise.reject(failure);
    const id = next++;
    const reply = new Promise<HostileReply>((resolve, reject) =>
      pending.set(id, (r) => (r.error === undefined ? resolve(r) : reject(new Error(r.error)))),
    );
    worker.postMessage({ ...command, id });
    return bounded(reply, `hostile worker ${command.type}`, ms);
  };
  // The first command also waits for tsx to compile the worker.
  await send({ type: 'stop' }, START_MS);
  return { send, terminate: () => worker.terminate().then(() => {}) };
}
