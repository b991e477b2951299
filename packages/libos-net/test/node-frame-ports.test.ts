import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  connectStreamFramePort,
  type DgramFramePort,
  FramePortError,
  LengthPrefixDecoder,
  listenStreamFramePort,
  openDgramFramePort,
  type StreamFramePort,
  type StreamFramePortOptions,
  writeLengthPrefix,
} from '@libos/net/node';
import { describeNetDevice } from '@libos/net/testing';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'libos-frame-port-'));
let serial = 0;
const socketPath = (): string => join(dir, `s${serial++}.sock`);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 1));

/** A listening port and a connecting port, back to back. */
async function streamPair(
  options: StreamFramePortOptions = {},
  tcp = false,
): Promise<{ a: StreamFramePort; b: StreamFramePort; dispose: () => Promise<void> }> {
  const listener = await listenStreamFramePort(tcp ? { port: 0 } : { path: socketPath() }, {
    ...options,
    macAddress: new Uint8Array([2, 0, 0, 0, 0, 0xa]),
  });
  const [b, a] = await Promise.all([
    connectStreamFramePort(listener.address, {
      ...options,
      macAddress: new Uint8Array([2, 0, 0, 0, 0, 0xb]),
    }),
    listener.accept(5000),
  ]);
  await listener.close();
  return { a, b, dispose: async () => void (await Promise.all([a.close(), b.close()])) };
}

/** A raw socket peer: the test writes the bytes itself. */
async function rawPeer(
  options: StreamFramePortOptions = {},
): Promise<{ port: StreamFramePort; raw: Socket }> {
  const listener = await listenStreamFramePort({ path: socketPath() }, options);
  const raw = createConnection({ path: (listener.address as { path: string }).path });
  const port = await listener.accept(5000);
  await listener.close();
  return { port, raw };
}

/** Frames encoded with their 4-byte big-endian length prefix, concatenated. */
function encode(frames: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(frames.reduce((n, f) => n + 4 + f.length, 0));
  let at = 0;
  for (const f of frames) {
    writeLengthPrefix(out, at, f.length);
    out.set(f, at + 4);
    at += 4 + f.length;
  }
  return out;
}

function ethernetFrame(seed: number, length: number): Uint8Array {
  const f = new Uint8Array(length);
  for (let i = 0; i < length; i++) f[i] = (seed * 31 + i * 7) & 0xff;
  f[0] = 0x02; // unicast destination
  return f;
}

/** Byte-wise equality of two frame lists (fast; toEqual walks typed arrays slowly). */
function same(a: Uint8Array[], b: Uint8Array[]): boolean {
  return a.length === b.length && a.every((f, i) => Buffer.compare(f, b[i]!) === 0);
}

function decodeAll(decoder: LengthPrefixDecoder, chunks: Uint8Array[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const chunk of chunks) {
    decoder.push(chunk);
    for (;;) {
      const o = decoder.next();
      if (o === 'need-more') break;
      if (o === 'too-long') throw new Error('too-long');
      out.push(o.slice());
    }
  }
  return out;
}

async function collect(
  port: StreamFramePort | DgramFramePort,
  want: number,
): Promise<Uint8Array[]> {
  const got: Uint8Array[] = [];
  for (let round = 0; round < 200 && got.length < want; round++) {
    await port.waitForFrame(50);
    port.receive((f) => {
      got.push(f.slice());
    }, 1000);
  }
  return got;
}

describeNetDevice('StreamFramePort over a unix socket', {
  create: async () => {
    const { a, b, dispose } = await streamPair();
    return { device: a, peer: b, settle, dispose };
  },
});

describeNetDevice('StreamFramePort over TCP 127.0.0.1 (8-frame receive queue)', {
  create: async () => {
    const { a, b, dispose } = await streamPair({ receiveQueueFrames: 8 }, true);
    return { device: a, peer: b, settle, dispose };
  },
});

describeNetDevice('DgramFramePort over UDP 127.0.0.1', {
  create: async () => {
    const b = await openDgramFramePort({ macAddress: new Uint8Array([2, 0, 0, 0, 0, 0xb]) });
    const a = await openDgramFramePort({
      remotePort: b.localPort,
      macAddress: new Uint8Array([2, 0, 0, 0, 0, 0xa]),
    });
    b.setRemotePort(a.localPort);
    const dispose = async (): Promise<void> => void (await Promise.all([a.close(), b.close()]));
    return { device: a, peer: b, settle, dispose };
  },
});

describe('LengthPrefixDecoder', () => {
  const frames = [
    ethernetFrame(1, 60),
    ethernetFrame(2, 14),
    ethernetFrame(3, 1514),
    new Uint8Array(0),
  ];
  const stream = encode(frames);

  it('decodes a stream split at every byte boundary', () => {
    for (let cut = 0; cut <= stream.length; cut++) {
      const got = decodeAll(new LengthPrefixDecoder(1518), [
        stream.subarray(0, cut),
        stream.subarray(cut),
      ]);
      expect(same(got, frames), `cut at ${cut}`).toBe(true);
    }
  });

  it('decodes a stream fed one byte at a time', () => {
    const chunks = Array.from(stream, (_, i) => stream.subarray(i, i + 1));
    expect(decodeAll(new LengthPrefixDecoder(1518), chunks)).toEqual(frames);
  });

  it('decodes any partition of any frame sequence', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ minLength: 0, maxLength: 300 }), { maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 10 }),
        (fs, cuts) => {
          const bytes = encode(fs);
          const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort(
            (x, y) => x - y,
          );
          const chunks: Uint8Array[] = [];
          let last = 0;
          for (const p of [...points, bytes.length]) {
            chunks.push(bytes.subarray(last, p));
            last = p;
          }
          expect(decodeAll(new LengthPrefixDecoder(300), chunks)).toEqual(fs);
        },
      ),
    );
  });

  it('returns a view into the chunk when the frame lies inside it', () => {
    const d = new LengthPrefixDecoder(1518);
    d.push(stream);
    const f = d.next();
    expect(f).toBeInstanceOf(Uint8Array);
    expect((f as Uint8Array).buffer).toBe(stream.buffer);
  });

  it('reports a length above the limit as too-long, also when the prefix is split', () => {
    const bytes = encode([ethernetFrame(1, 100)]);
    const whole = new LengthPrefixDecoder(99);
    whole.push(bytes);
    expect(whole.next()).toBe('too-long');
    expect(whole.lastAnnouncedLength).toBe(100);
    const split = new LengthPrefixDecoder(99);
    split.push(bytes.subarray(0, 2));
    expect(split.next()).toBe('need-more');
    split.push(bytes.subarray(2));
    expect(split.next()).toBe('too-long');
  });

  it('tracks a frame in progress and refuses a push before the chunk is consumed', () => {
    const d = new LengthPrefixDecoder(1518);
    d.push(stream.subarray(0, 10));
    expect(d.hasUnconsumed).toBe(true);
    expect(() => d.push(stream)).toThrow(/not consumed/);
    expect(d.next()).toBe('need-more');
    expect(d.midFrame).toBe(true);
    expect(() => new LengthPrefixDecoder(-1)).toThrow(RangeError);
  });
});

describe('StreamFramePort', () => {
  it('reassembles a frame written one byte at a time', async () => {
    const { port, raw } = await rawPeer();
    const f = ethernetFrame(9, 100);
    const bytes = encode([f]);
    for (const b of bytes) {
      raw.write(Uint8Array.of(b));
      await settle();
    }
    expect(await collect(port, 1)).toEqual([f]);
    raw.destroy();
    await port.close();
  });

  it('closes with FRAME_TOO_LONG when the peer announces an oversize frame', async () => {
    const { port, raw } = await rawPeer();
    const good = ethernetFrame(1, 60);
    const header = new Uint8Array(4);
    writeLengthPrefix(header, 0, 1519); // MTU 1500 + 14 + 4 (VLAN) + 1
    raw.write(encode([good]));
    raw.write(header);
    await port.closed;
    expect(port.error).toBeInstanceOf(FramePortError);
    expect(port.error?.code).toBe('FRAME_TOO_LONG');
    expect(port.transmit(60, () => {})).toBe(false);
    expect(await collect(port, 1)).toEqual([good]); // what came before stays receivable
    expect(await port.waitForFrame(10)).toBe(false);
    raw.destroy();
  });

  it('closes with TRUNCATED_FRAME when the peer closes mid-frame', async () => {
    const { port, raw } = await rawPeer();
    const good = ethernetFrame(2, 80);
    const bytes = encode([good, ethernetFrame(3, 80)]);
    raw.end(bytes.subarray(0, bytes.length - 10));
    await port.closed;
    expect(port.error?.code).toBe('TRUNCATED_FRAME');
    expect(await collect(port, 1)).toEqual([good]);
  });

  it('closes cleanly when the peer closes between frames', async () => {
    const { port, raw } = await rawPeer();
    const f = ethernetFrame(4, 70);
    raw.end(encode([f]));
    await port.closed;
    expect(port.error).toBeUndefined();
    expect(await collect(port, 1)).toEqual([f]);
  });

  it('pauses reading when the receive queue is full and loses nothing', async () => {
    const { port, raw } = await rawPeer({ receiveQueueFrames: 4 });
    const frames = Array.from({ length: 300 }, (_, i) => ethernetFrame(i, 60 + (i % 50)));
    raw.end(encode(frames));
    await settle();
    expect(port.pendingFrames).toBeLessThanOrEqual(4);
    const got: Uint8Array[] = [];
    for (let round = 0; round < 500 && got.length < frames.length; round++) {
      await port.waitForFrame(50);
      port.receive((f) => {
        got.push(f.slice());
      }, 3);
    }
    expect(got).toEqual(frames);
    expect(port.stats.receiveDropped).toBe(0);
    expect(port.stats.framesReceived).toBe(300);
  });

  it("drops and counts frames when the queue is full in 'drop' mode", async () => {
    const { port, raw } = await rawPeer({ receiveQueueFrames: 4, whenReceiveQueueFull: 'drop' });
    const frames = Array.from({ length: 50 }, (_, i) => ethernetFrame(i, 60));
    raw.end(encode(frames));
    await port.closed;
    const got = await collect(port, 4);
    expect(got).toEqual(frames.slice(0, 4));
    expect(port.stats.receiveDropped).toBe(46);
  });

  it('counts and skips runts shorter than an Ethernet header', async () => {
    const { port, raw } = await rawPeer();
    const f = ethernetFrame(5, 60);
    raw.end(encode([new Uint8Array(0), new Uint8Array(13), f]));
    expect(await collect(port, 1)).toEqual([f]);
    expect(port.stats.runts).toBe(2);
  });

  it('batches a burst into one write and applies back-pressure at the high-water mark', async () => {
    const { a, b, dispose } = await streamPair({ transmitHighWaterBytes: 4096 });
    let accepted = 0;
    while (a.transmit(100, (f) => f.fill(accepted & 0xff)) && accepted < 1000) accepted++;
    expect(accepted).toBe(Math.floor(4096 / 104));
    expect(a.pendingTransmitBytes).toBeLessThanOrEqual(4096);
    expect(a.stats.transmitRefused).toBe(1);
    const got = await collect(b, accepted);
    expect(got.map((f) => f[0])).toEqual(Array.from({ length: accepted }, (_, i) => i & 0xff));
    expect(a.transmit(100, () => {})).toBe(true);
    await dispose();
  });

  it('refuses bad lengths and options, and transmit after close', async () => {
    const { a, b, dispose } = await streamPair();
    expect(a.transmit(13, () => {})).toBe(false);
    expect(a.transmit(1515, () => {})).toBe(false);
    await a.close();
    await b.closed;
    expect(a.transmit(60, () => {})).toBe(false);
    expect(a.stats.transmitRefused).toBe(3);
    await dispose();
    await expect(streamPair({ transmitHighWaterBytes: 100 })).rejects.toMatchObject({
      code: 'BAD_OPTION',
    });
    await expect(connectStreamFramePort({ path: join(dir, 'nobody.sock') })).rejects.toMatchObject({
      code: 'SOCKET_ERROR',
    });
  });

  it('delivers every frame sent before close to the peer', async () => {
    const { a, b } = await streamPair();
    const frames = Array.from({ length: 20 }, (_, i) => ethernetFrame(i, 200));
    for (const f of frames) expect(a.transmit(f.length, (buf) => buf.set(f))).toBe(true);
    await a.close();
    await b.closed;
    expect(b.error).toBeUndefined();
    expect(await collect(b, 20)).toEqual(frames);
  });

  it('wakes waitForFrame on arrival and times out otherwise', async () => {
    const { a, b, dispose } = await streamPair();
    expect(await b.waitForFrame(20)).toBe(false);
    const waiting = b.waitForFrame(5000);
    a.transmit(60, (f) => f.fill(1));
    expect(await waiting).toBe(true);
    await dispose();
    expect(await a.waitForFrame()).toBe(false); // closed, nothing pending
  });

  it('rejects accept after the listener closes and times out without a peer', async () => {
    const listener = await listenStreamFramePort({ path: socketPath() });
    await expect(listener.accept(20)).rejects.toMatchObject({ code: 'ACCEPT_TIMEOUT' });
    const pending = listener.accept();
    await listener.close();
    await expect(pending).rejects.toMatchObject({ code: 'CLOSED' });
  });
});

describe('DgramFramePort', () => {
  it('ignores datagrams from other ports and drops when the queue is full', async () => {
    const a = await openDgramFramePort({ receiveQueueFrames: 2 });
    const b = await openDgramFramePort({ remotePort: a.localPort });
    const stranger = await openDgramFramePort({ remotePort: a.localPort });
    expect(b.transmit(60, (f) => f.fill(0xb))).toBe(true); // a learns b
    expect(await collect(a, 1)).toHaveLength(1);
    expect(a.remotePort).toBe(b.localPort);
    expect(stranger.transmit(60, (f) => f.fill(0xc))).toBe(true);
    for (let i = 0; i < 5; i++) expect(b.transmit(60, (f) => f.fill(i))).toBe(true);
    await settle();
    await new Promise((resolve) => setTimeout(resolve, 20));
    const got = await collect(a, 2);
    expect(got.map((f) => f[0])).toEqual([0, 1]);
    expect(a.stats.receiveDropped).toBe(3);
    await Promise.all([a.close(), b.close(), stranger.close()]);
  });

  it('refuses to transmit before it knows its peer', async () => {
    const a = await openDgramFramePort();
    expect(a.transmit(60, () => {})).toBe(false);
    await a.close();
    expect(await a.waitForFrame()).toBe(false);
  });
});
