/**
 * virtio-console (virtio 1.2 §5.3), single port: ConsoleDriver against
 * ConsoleDeviceModel, inline.
 */
import {
  ConsoleConfigOffset,
  ConsoleDriver,
  ConsoleError,
  ConsoleQueue,
  DeviceModelCore,
  DeviceType,
} from '@libos/virtio';
import { describe, expect, it } from 'vitest';
import { concat, consoleDevice, openConsole, pattern, readBytes } from './console-fixture.js';

const text = (s: string) => new TextEncoder().encode(s);

describe('ConsoleDriver output', () => {
  it('a guest write reaches the backend byte-exact', async () => {
    const setup = consoleDevice();
    const { tty } = await openConsole(setup);
    await tty.write(text('hello, console\n'));
    expect(new TextDecoder().decode(setup.backend.bytes())).toBe('hello, console\n');
    expect(setup.device.stats().outputBytes).toBe(15);
  });

  it('writes larger than one buffer, and than all buffers, are chunked in order', async () => {
    const setup = consoleDevice();
    const { tty } = await openConsole(setup, { transmitBuffers: 4, transmitBufferSize: 64 });
    const big = pattern(10_000, 3);
    await tty.write(big);
    expect(setup.backend.bytes()).toEqual(big);
    expect(Math.max(...setup.backend.chunks.map((c) => c.length))).toBe(64);
  });

  it('concurrent writes come out in call order, not interleaved', async () => {
    const setup = consoleDevice();
    const { tty } = await openConsole(setup, { transmitBuffers: 2, transmitBufferSize: 16 });
    const parts = [
      pattern(100, 1),
      pattern(7, 2),
      pattern(333, 3),
      new Uint8Array(0),
      pattern(50, 4),
    ];
    await Promise.all(parts.map((p) => tty.write(p)));
    expect(setup.backend.bytes()).toEqual(concat(parts));
  });

  it('the caller may reuse its array as soon as write returns', async () => {
    const setup = consoleDevice();
    const { tty } = await openConsole(setup, { transmitBuffers: 1, transmitBufferSize: 4 });
    const buf = text('abcdefgh');
    const a = tty.write(buf);
    const b = tty.write(buf);
    buf.fill(0x21);
    await Promise.all([a, b]);
    expect(new TextDecoder().decode(setup.backend.bytes())).toBe('abcdefghabcdefgh');
  });

  it('a write larger than all transmit buffers waits for the device to give them back', async () => {
    const setup = consoleDevice();
    const out: number[] = [];
    // A console device that holds transmit chains until release() (not inline-immediate).
    const held = new DeviceModelCore(
      { memory: setup.memory, base: 0x6000, link: setup.link },
      {
        deviceId: DeviceType.CONSOLE,
        features: 0n,
        queueMaxSizes: [8, 8],
        config: new Uint8Array(12),
        serve: () => false,
      },
    );
    held.start();
    const release = (): void => {
      const q = held.queue(ConsoleQueue.TRANSMIT)!;
      for (let c = q.popAvailable(); c !== null; c = q.popAvailable()) {
        const b = new Uint8Array(c.readableLength);
        c.readReadable(b);
        out.push(...b);
        q.pushUsed(c, 0);
      }
      held.completeQueue(ConsoleQueue.TRANSMIT);
    };
    const tty = await ConsoleDriver.open({
      memory: setup.memory,
      dma: setup.dma,
      base: 0x6000,
      link: setup.link,
      transmitBuffers: 2,
      transmitBufferSize: 4,
    });
    let done = false;
    const data = pattern(30, 7);
    const writing = tty.write(data).then(() => {
      done = true;
    });
    await new Promise((r) => setTimeout(r, 0));
    expect(done).toBe(false);
    expect(out.length).toBe(0);
    for (let i = 0; i < 20 && !done; i++) {
      release();
      await new Promise((r) => setTimeout(r, 0));
    }
    await writing;
    expect(Uint8Array.from(out)).toEqual(data);
  });

  it('a throwing backend is counted; the guest write still completes', async () => {
    const setup = consoleDevice();
    const { tty, failures } = await openConsole(setup);
    setup.backend.throwNext = 1;
    await tty.write(text('lost'));
    await tty.write(text('kept'));
    expect(new TextDecoder().decode(setup.backend.bytes())).toBe('kept');
    expect(setup.device.stats().outputErrors).toBe(1);
    expect(failures).toEqual([]);
  });
});

describe('ConsoleDriver input', () => {
  it('host input queued before the guest posted receive buffers arrives in order', async () => {
    const setup = consoleDevice();
    expect(setup.device.input(text('early '))).toBe(6);
    expect(setup.device.pendingInput).toBe(6);
    const { tty } = await openConsole(setup);
    expect(setup.device.pendingInput).toBe(0);
    setup.device.input(text('late'));
    expect(new TextDecoder().decode(await readBytes(tty, 10))).toBe('early late');
  });

  it('input larger than a receive buffer spans buffers, in order (read and async iterator)', async () => {
    const setup = consoleDevice({ inputCapacity: 1 << 16 });
    const { tty } = await openConsole(setup, { receiveBuffers: 4, receiveBufferSize: 16 });
    const data = pattern(5000, 9);
    setup.device.input(data);
    const chunks: Uint8Array[] = [];
    let got = 0;
    for await (const chunk of tty) {
      expect(chunk.length).toBeLessThanOrEqual(16);
      chunks.push(chunk);
      got += chunk.length;
      if (got >= data.length) break;
    }
    expect(concat(chunks)).toEqual(data);
    expect(setup.device.stats().inputDropped).toBe(0);
  });

  it('onData receives every byte in order, buffers re-posted at once', async () => {
    const setup = consoleDevice();
    const seen: Uint8Array[] = [];
    const { tty } = await openConsole(setup, {
      receiveBuffers: 2,
      receiveBufferSize: 8,
      onData: (b) => seen.push(b.slice()),
    });
    const data = pattern(3000, 5);
    for (let i = 0; i < data.length; i += 100) setup.device.input(data.subarray(i, i + 100));
    expect(concat(seen)).toEqual(data);
    await expect(tty.read()).rejects.toMatchObject({ code: 'BAD_ARGUMENT' });
  });

  it('input beyond the bounded queue is dropped and counted; what was kept arrives in order', async () => {
    const setup = consoleDevice({ inputCapacity: 64 });
    const { tty } = await openConsole(setup, { receiveBuffers: 2, receiveBufferSize: 16 });
    const data = pattern(200, 1);
    // 32 bytes fit the two posted receive buffers, 64 wait in the device, 104 are dropped.
    expect(setup.device.input(data)).toBe(96);
    expect(setup.device.stats()).toMatchObject({ inputBytes: 96, inputDropped: 104 });
    expect(setup.device.pendingInput).toBe(64);
    expect(await readBytes(tty, 96)).toEqual(data.subarray(0, 96));
    expect(setup.device.pendingInput).toBe(0);
    expect(setup.device.input(data.subarray(0, 10))).toBe(10);
    expect(setup.device.stats().inputDropped).toBe(104);
  });

  it('a pending read is answered when input arrives later', async () => {
    const setup = consoleDevice();
    const { tty } = await openConsole(setup);
    const reading = tty.read();
    setup.device.input(text('x'));
    expect(new TextDecoder().decode(await reading)).toBe('x');
  });
});

describe('ConsoleDriver configuration', () => {
  it('reads cols/rows when VIRTIO_CONSOLE_F_SIZE is offered, and follows resizes', async () => {
    const setup = consoleDevice({ size: { cols: 80, rows: 25 } });
    const sizes: unknown[] = [];
    const { tty } = await openConsole(setup, { onResize: (s) => sizes.push(s) });
    expect(tty.hasSize).toBe(true);
    expect(tty.size()).toEqual({ cols: 80, rows: 25 });
    setup.device.resize({ cols: 132, rows: 43 });
    expect(sizes).toEqual([{ cols: 132, rows: 43 }]);
    expect(tty.size()).toEqual({ cols: 132, rows: 43 });
    expect(() => setup.device.resize({ cols: 70000, rows: 1 })).toThrow(ConsoleError);
  });

  it('without a size, size() is null and resize is refused', async () => {
    const setup = consoleDevice();
    const { tty } = await openConsole(setup);
    expect(tty.hasSize).toBe(false);
    expect(tty.size()).toBeNull();
    expect(() => setup.device.resize({ cols: 1, rows: 1 })).toThrow(
      expect.objectContaining({ code: 'NOT_NEGOTIATED' }),
    );
  });

  it('emergency write goes through the register block to the backend (§5.3.4)', async () => {
    const setup = consoleDevice();
    const { tty } = await openConsole(setup);
    expect(tty.hasEmergencyWrite).toBe(true);
    for (const c of text('SOS')) await tty.emergencyWrite(c);
    expect(new TextDecoder().decode(setup.backend.bytes())).toBe('SOS');
    expect(setup.device.stats().emergencyWrites).toBe(3);
    await expect(tty.emergencyWrite(256)).rejects.toMatchObject({ code: 'BAD_ARGUMENT' });
  });

  it("the model's emerg_wr handler outputs one character; other config writes are refused", () => {
    const setup = consoleDevice();
    expect(setup.device.configWrite(ConsoleConfigOffset.EMERG_WR, 4, 0x141)).toBe(true);
    expect(setup.device.configWrite(ConsoleConfigOffset.COLS, 2, 5)).toBe(false);
    expect(setup.device.configWrite(ConsoleConfigOffset.EMERG_WR, 1, 0x42)).toBe(false);
    expect(Array.from(setup.backend.bytes())).toEqual([0x41]);
    expect(setup.device.stats().emergencyWrites).toBe(1);
  });
});

describe('ConsoleDriver lifecycle and failure', () => {
  it('a device failure rejects pending reads and later writes with DEVICE_FAILED', async () => {
    const setup = consoleDevice();
    const { tty, failures } = await openConsole(setup);
    const reading = tty.read();
    setup.device.core.transport.markNeedsReset('test: broken');
    await expect(reading).rejects.toMatchObject({ name: 'ConsoleError', code: 'DEVICE_FAILED' });
    await expect(tty.write(text('x'))).rejects.toMatchObject({ code: 'DEVICE_FAILED' });
    expect(failures).toHaveLength(1);
    expect(tty.failure?.code).toBe('DEVICE_FAILED');
  });

  it('close ends an async iteration, rejects reads with CLOSED and frees all DMA memory', async () => {
    const setup = consoleDevice();
    const { tty } = await openConsole(setup);
    const iterated: Uint8Array[] = [];
    const loop = (async () => {
      for await (const c of tty) iterated.push(c);
    })();
    setup.device.input(text('bye'));
    await new Promise((r) => setTimeout(r, 0));
    await tty.close();
    await loop;
    expect(new TextDecoder().decode(concat(iterated))).toBe('bye');
    await expect(tty.read()).rejects.toMatchObject({ code: 'CLOSED' });
    await expect(tty.write(text('x'))).rejects.toMatchObject({ code: 'CLOSED' });
    expect(setup.dma.stats().usedBytes).toBe(0);
  });
});
