/**
 * A hostile device in a worker thread (see hostile-device-fixture.ts): writes used
 * rings on command, or runs a lying virtio-blk device model on an AtomicsLink. Every
 * command is answered with `{ id }` once done, or `{ id, error }`.
 */
import { parentPort } from 'node:worker_threads';
import { GuestMemory } from '@libos/mem';
import { AtomicsLink, type DeviceModelCore } from '@libos/virtio';
import {
  type HostileBlkBehaviour,
  type HostileBlkConfig,
  hostileBlkModel,
  writeUsed,
} from './hostile-device-fixture.js';

/** Commands from the test thread. */
export type HostileCommand =
  | {
      readonly type: 'used';
      readonly id: number;
      readonly buffer: SharedArrayBuffer;
      readonly usedAddr: number;
      readonly size: number;
      readonly startIdx: number;
      readonly elems: readonly (readonly [number, number])[];
      readonly finalIdx?: number;
    }
  | {
      readonly type: 'blk';
      readonly id: number;
      readonly buffer: SharedArrayBuffer;
      readonly base: number;
      readonly config: HostileBlkConfig;
      readonly behaviour: HostileBlkBehaviour;
    }
  | { readonly type: 'behaviour'; readonly id: number; readonly behaviour: HostileBlkBehaviour }
  | { readonly type: 'stop'; readonly id: number };

/** Replies to the test thread. */
export interface HostileReply {
  readonly id: number;
  readonly idx?: number;
  readonly error?: string;
}

const port = parentPort;
if (port === null) throw new Error('must run as a worker');
const state: { behaviour: HostileBlkBehaviour } = { behaviour: { kind: 'idle' } };
let model: DeviceModelCore | null = null;

port.on('message', (c: HostileCommand) => {
  try {
    switch (c.type) {
      case 'used': {
        const memory = new GuestMemory(c.buffer);
        const idx = writeUsed(memory, c.usedAddr, c.size, c.startIdx, c.elems, c.finalIdx);
        port.postMessage({ id: c.id, idx } satisfies HostileReply);
        return;
      }
      case 'blk': {
        model?.stop();
        const memory = new GuestMemory(c.buffer);
        state.behaviour = c.behaviour;
        model = hostileBlkModel(memory, new AtomicsLink(memory), c.base, c.config, state);
        model.start();
        break;
      }
      case 'behaviour':
        state.behaviour = c.behaviour;
        break;
      case 'stop':
        model?.stop();
        model = null;
        break;
    }
    port.postMessage({ id: c.id } satisfies HostileReply);
  } catch (e) {
    port.postMessage({ id: c.id, error: String(e) } satisfies HostileReply);
  }
});
