/**
 * Crafted segments against a single TcpLayer: one test per RFC behaviour.
 */
import { segmentAcceptable, seqAdd, type TcpConnection, TcpFlags } from '@libos/net';
import { describe, expect, it } from 'vitest';
import { active, B, Capture, craft, passive, pattern } from './tcp-core-harness.js';

const { FIN, SYN, RST, ACK, PSH } = TcpFlags;

describe('segment acceptability (RFC 9293 §3.10.7.4)', () => {
  // [SEG.SEQ − RCV.NXT, SEG.LEN, RCV.WND, acceptable]
  const table: [number, number, number, boolean][] = [
    [0, 0, 0, true],
    [1, 0, 0, false],
    [-1, 0, 0, false],
    [0, 0, 100, true],
    [99, 0, 100, true],
    [100, 0, 100, false],
    [-1, 0, 100, false],
    [0, 1, 0, false],
    [0, 10, 100, true],
    [-9, 10, 100, true],
    [-10, 10, 100, false],
    [99, 10, 100, true],
    [100, 10, 100, false],
  ];
  for (const rcvNxt of [1000, 0xffff_fff0, 0]) {
    it(`the four cases at the window edges, RCV.NXT=${rcvNxt.toString(16)} (mod 2^32)`, () => {
      for (const [offset, length, window, expected] of table) {
        expect(
          segmentAcceptable(seqAdd(rcvNxt, offset), length, rcvNxt, window),
          `${offset},${length},${window}`,
        ).toBe(expected);
      }
    });
  }
});

describe('closed ports and LISTEN (RFC 9293 §3.10.7.1–§3.10.7.2)', () => {
  it('SYN to a closed port → <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>', () => {
    const cap = new Capture();
    cap.inject({ flags: SYN, sequenceNumber: 0xffff_ffff, destinationPort: 9 });
    const [rst] = cap.take();
    expect(rst?.repr).toMatchObject({
      flags: RST | ACK,
      sequenceNumber: 0,
      acknowledgmentNumber: 0,
    });
    expect(rst?.repr.destinationPort).toBe(40000);
  });

  it('data+FIN without ACK to a closed port acknowledges SEG.LEN including FIN', () => {
    const cap = new Capture();
    cap.inject({
      flags: FIN,
      sequenceNumber: 100,
      payload: new Uint8Array(10),
      destinationPort: 9,
    });
    expect(cap.take()[0]?.repr).toMatchObject({
      flags: RST | ACK,
      sequenceNumber: 0,
      acknowledgmentNumber: 111,
    });
  });

  it('ACK to a closed port → <SEQ=SEG.ACK><CTL=RST>; RST is never answered', () => {
    const cap = new Capture();
    cap.inject({ flags: ACK, sequenceNumber: 5, acknowledgmentNumber: 777, destinationPort: 9 });
    expect(cap.take()[0]?.repr).toMatchObject({ flags: RST, sequenceNumber: 777 });
    cap.inject({ flags: RST, sequenceNumber: 5, destinationPort: 9 });
    cap.inject({
      flags: RST | ACK,
      sequenceNumber: 5,
      acknowledgmentNumber: 9,
      destinationPort: 9,
    });
    expect(cap.take()).toHaveLength(0);
  });

  it('LISTEN ignores RST, answers a bare ACK with RST, and drops segments without SYN', () => {
    const cap = new Capture();
    cap.layer.listen({ port: 80 });
    cap.inject({ flags: RST, sequenceNumber: 5 });
    expect(cap.take()).toHaveLength(0);
    cap.inject({ flags: ACK, sequenceNumber: 5, acknowledgmentNumber: 99 });
    expect(cap.take()[0]?.repr).toMatchObject({ flags: RST, sequenceNumber: 99 });
    cap.inject({ flags: PSH, sequenceNumber: 5, payload: new Uint8Array(3) });
    expect(cap.take()).toHaveLength(0);
    expect(cap.layer.connectionCount).toBe(0);
  });

  it('malformed options and bad checksums are dropped silently (RELIABILITY item 8)', () => {
    const cap = new Capture();
    cap.layer.listen({ port: 80 });
    const bytes = new Uint8Array(24);
    bytes.set([0x9c, 0x40, 0x00, 0x50], 0);
    bytes[12] = 6 << 4; // data offset 6: four option bytes
    bytes[13] = SYN;
    bytes.set([2, 1, 0, 0], 20); // MSS option with length 1: malformed
    cap.layer.input(B, 0x0a000001, bytes, true, 0);
    bytes[12] = 4 << 4; // data offset below 5
    cap.layer.input(B, 0x0a000001, bytes, true, 0);
    expect(cap.take()).toHaveLength(0);
    expect(cap.layer.stats.dropped).toMatchObject({ 'malformed-options': 1, 'bad-data-offset': 1 });
    const good = new Uint8Array(20);
    good.set([0x9c, 0x40, 0x00, 0x50], 0);
    good[12] = 5 << 4;
    good[13] = SYN;
    cap.layer.input(B, 0x0a000001, good, false, 0); // checksum 0: wrong
    expect(cap.layer.stats.dropped['bad-checksum']).toBe(1);
    expect(cap.layer.connectionCount).toBe(0);
  });
});

describe('SYN options (RFC 9293 §3.7.1, RFC 7323 §2)', () => {
  it('MSS 0 is ignored: the default 536 applies (RELIABILITY item 8)', async () => {
    const cap = new Capture();
    const listener = cap.layer.listen({ port: 80 });
    const bytes = craft({ flags: SYN, sequenceNumber: 1, options: { mss: 0x1234 } });
    const at = bytes.indexOf(0x12, 20);
    bytes[at] = 0;
    bytes[at + 1] = 0; // MSS option now says 0; checksum no longer matters (verified flag)
    cap.injectBytes(bytes, true);
    const [synAck] = cap.take();
    cap.inject({
      flags: ACK,
      sequenceNumber: 2,
      acknowledgmentNumber: seqAdd(synAck!.repr.sequenceNumber, 1),
    });
    expect(((await listener.accept()) as TcpConnection).mss).toBe(536);
  });

  it.each([
    [undefined, 536],
    [1, 88], // absurdly small: raised to the Linux minimum
    [1200, 1200],
    [9000, 1460], // never above our route (MTU 1500 − 40)
  ])('peer MSS %s → send MSS %s', async (mss, expected) => {
    const { conn, synAck } = await passive({ options: mss === undefined ? {} : { mss } });
    expect(conn.mss).toBe(expected);
    expect(synAck.repr.options.mss).toBe(1460);
  });

  it('window scale: SYN windows unscaled, later windows shifted; our shift covers the buffer', async () => {
    const { cap, conn, irs, iss, synAck } = await passive({
      options: { mss: 1460, windowScale: 7 },
      window: 1000,
    });
    expect(synAck.repr.options.windowScale).toBe(3); // 256 KiB needs 2^3
    expect(synAck.repr.window).toBe(65535);
    // The handshake's final ACK already carried window 1000, scaled by 2^7.
    expect(conn.sendWindow).toBe(128_000);
    cap.inject({
      flags: ACK,
      sequenceNumber: seqAdd(irs, 1),
      acknowledgmentNumber: seqAdd(iss, 1),
      window: 3,
    });
    expect(conn.sendWindow).toBe(384);
    cap.inject({
      flags: ACK | PSH,
      sequenceNumber: seqAdd(irs, 1),
      acknowledgmentNumber: seqAdd(iss, 1),
      window: 3,
      payload: new Uint8Array(100),
    });
    cap.advanceTo(40_000); // delayed ACK
    const [ack] = cap.take();
    // (256 KiB − 100 readable) / 8, rounded up; never shrinking the right edge.
    expect(ack?.repr.window).toBe(Math.ceil((262144 - 100) / 8));
    expect(conn.negotiated.windowScale).toBe(true);
  });

  it('window scale > 14 is treated as 14 (RFC 7323 §2.3)', async () => {
    const { conn } = await passive({ options: { mss: 1460, windowScale: 14 }, window: 2 });
    expect(conn.sendWindow).toBe(2 * 2 ** 14);
  });

  it('no scaling unless both SYNs carry the option', async () => {
    const { synAck, conn, cap, irs, iss } = await passive({ options: { mss: 1460 } });
    expect(synAck.repr.options.windowScale).toBeUndefined();
    expect(synAck.repr.options.sackPermitted).toBeUndefined();
    expect(synAck.repr.options.timestamps).toBeUndefined();
    cap.inject({
      flags: ACK | PSH,
      sequenceNumber: seqAdd(irs, 1),
      acknowledgmentNumber: seqAdd(iss, 1),
      payload: new Uint8Array(10),
    });
    cap.advanceTo(40_000);
    expect(cap.take()[0]?.repr.window).toBe(65535);
    expect(conn.negotiated).toEqual({ windowScale: false, timestamps: false, sack: false });
  });
});

describe('SYN-SENT (RFC 9293 §3.10.7.3)', () => {
  it('an unacceptable ACK gets <SEQ=SEG.ACK><CTL=RST>; the attempt goes on', async () => {
    const cap = new Capture();
    const attempt = cap.layer.connect({ address: B, port: 80 });
    const [syn] = cap.take();
    const iss = syn!.repr.sequenceNumber;
    const port = syn!.repr.sourcePort;
    for (const ack of [iss, seqAdd(iss, 2), seqAdd(iss, -5)]) {
      cap.inject({
        sourcePort: 80,
        destinationPort: port,
        flags: SYN | ACK,
        sequenceNumber: 1,
        acknowledgmentNumber: ack,
      });
      expect(cap.take()[0]?.repr).toMatchObject({ flags: RST, sequenceNumber: ack });
    }
    // RST with a bad ACK, or without ACK: ignored (RFC 5961 §3.2).
    cap.inject({
      sourcePort: 80,
      destinationPort: port,
      flags: RST | ACK,
      sequenceNumber: 1,
      acknowledgmentNumber: iss,
    });
    cap.inject({ sourcePort: 80, destinationPort: port, flags: RST, sequenceNumber: 1 });
    expect(cap.take()).toHaveLength(0);
    cap.inject({
      sourcePort: 80,
      destinationPort: port,
      flags: RST | ACK,
      sequenceNumber: 0,
      acknowledgmentNumber: seqAdd(iss, 1),
    });
    await expect(attempt).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('an ICMP hard error aborts SYN-SENT (RFC 1122 §4.2.3.9)', async () => {
    const cap = new Capture();
    const attempt = cap.layer.connect({ address: B, port: 80 });
    const [syn] = cap.take();
    const quote = new Uint8Array(28);
    quote[0] = 0x45;
    quote[9] = 6;
    quote.set([10, 0, 0, 1, 10, 0, 0, 2], 12);
    quote[20] = syn!.repr.sourcePort >> 8;
    quote[21] = syn!.repr.sourcePort & 0xff;
    quote[23] = 80;
    new DataView(quote.buffer).setUint32(24, syn!.repr.sequenceNumber);
    cap.layer.icmpError(quote, 'EHOSTUNREACH', 0);
    await expect(attempt).rejects.toMatchObject({ code: 'EHOSTUNREACH' });
  });
});

describe('ESTABLISHED at the window edges', () => {
  it('table: sequence offset × length → accepted or answered with an ACK', async () => {
    // [SEG.SEQ − RCV.NXT, payload length, acceptable]
    const W = 65535; // unscaled: the peer offered no window scale
    const cases: [number, number, boolean][] = [
      [0, 0, true],
      [-1, 0, false],
      [W - 1, 0, true],
      [W, 0, false],
      [-10, 10, false],
      [-10, 11, true],
      [W - 1, 1, true],
      [W, 1, false],
    ];
    for (const [offset, length, acceptable] of cases) {
      const { cap, conn, irs, iss } = await passive();
      const rcvNxt = seqAdd(irs, 1);
      cap.inject({
        flags: ACK,
        sequenceNumber: seqAdd(rcvNxt, offset),
        acknowledgmentNumber: seqAdd(iss, 1),
        payload: new Uint8Array(length),
      });
      const unacceptable = cap.layer.stats.dropped['unacceptable'] ?? 0;
      expect(unacceptable, `offset ${offset} length ${length}`).toBe(acceptable ? 0 : 1);
      const replies = cap.take();
      if (!acceptable) expect(replies.map((r) => r.repr.acknowledgmentNumber)).toEqual([rcvNxt]);
      expect(conn.state).toBe('established');
    }
  });

  it('zero receive window: only SEG.SEQ = RCV.NXT is acceptable; its ACK is processed, its data dropped', async () => {
    const { cap, conn, irs, iss } = await passive({ capture: { receiveBuffer: 1000 } });
    let rcvNxt = seqAdd(irs, 1);
    cap.inject({
      flags: ACK,
      sequenceNumber: rcvNxt,
      acknowledgmentNumber: seqAdd(iss, 1),
      payload: pattern(1000),
    });
    rcvNxt = seqAdd(rcvNxt, 1000);
    cap.advanceTo(40_000);
    expect(cap.take().at(-1)?.repr.window).toBe(0);
    await conn.write(new Uint8Array(10));
    const [data] = cap.take();
    expect(data?.repr.payloadLength).toBe(10);
    // Data at RCV.NXT into the zero window: ACK field still processed.
    cap.inject({
      flags: ACK,
      sequenceNumber: rcvNxt,
      acknowledgmentNumber: seqAdd(iss, 11),
      payload: new Uint8Array(5),
    });
    expect(conn.bufferedAmount).toBe(0);
    expect(cap.layer.stats.dropped['zero-window']).toBe(1);
    expect(cap.take()[0]?.repr).toMatchObject({ acknowledgmentNumber: rcvNxt, window: 0 });
    // One byte further: unacceptable.
    cap.inject({
      flags: ACK,
      sequenceNumber: seqAdd(rcvNxt, 1),
      acknowledgmentNumber: seqAdd(iss, 11),
    });
    expect(cap.layer.stats.dropped['unacceptable']).toBe(1);
    // Reading reopens the window with an update (receiver SWS avoidance: ≥ half the buffer).
    cap.take();
    expect((await conn.read())?.length).toBe(1000);
    expect(cap.take()[0]?.repr.window).toBe(1000);
  });

  it('data beyond RCV.NXT is buffered and SACKed; filling the hole ACKs everything at once', async () => {
    const { cap, conn, irs, iss } = await passive({
      options: { mss: 1460, sackPermitted: true, windowScale: 0 },
    });
    const rcvNxt = seqAdd(irs, 1);
    const ack = seqAdd(iss, 1);
    cap.inject({
      flags: ACK,
      sequenceNumber: seqAdd(rcvNxt, 100),
      acknowledgmentNumber: ack,
      payload: pattern(100, 1).subarray(0, 50),
    });
    const [dup] = cap.take();
    expect(dup?.repr.acknowledgmentNumber).toBe(rcvNxt);
    expect(dup?.repr.options.sackBlocks).toEqual([
      { start: seqAdd(rcvNxt, 100), end: seqAdd(rcvNxt, 150) },
    ]);
    cap.inject({
      flags: ACK,
      sequenceNumber: rcvNxt,
      acknowledgmentNumber: ack,
      payload: pattern(100, 2),
    });
    const [full] = cap.take();
    expect(full?.repr.acknowledgmentNumber).toBe(seqAdd(rcvNxt, 150));
    expect(full?.repr.options.sackBlocks).toBeUndefined();
    expect((await conn.read())?.length).toBe(150);
  });
});

describe('RFC 5961 blind-injection defences (RELIABILITY item 5)', () => {
  it('exact RST resets: ECONNRESET', async () => {
    const { cap, conn, irs } = await passive();
    const read = conn.read();
    cap.inject({ flags: RST, sequenceNumber: seqAdd(irs, 1) });
    await expect(read).rejects.toMatchObject({ code: 'ECONNRESET' });
    expect(conn.state).toBe('closed');
    expect(cap.layer.stats.resetsReceived).toBe(1);
  });

  it('in-window but inexact RST → challenge ACK, no state change; outside the window → silently dropped', async () => {
    const { cap, conn, irs, iss } = await passive();
    cap.inject({ flags: RST, sequenceNumber: seqAdd(irs, 2) });
    const [challenge] = cap.take();
    expect(challenge?.repr).toMatchObject({
      flags: ACK,
      sequenceNumber: seqAdd(iss, 1),
      acknowledgmentNumber: seqAdd(irs, 1),
    });
    expect(conn.state).toBe('established');
    cap.inject({ flags: RST, sequenceNumber: seqAdd(irs, 70_000) });
    cap.inject({ flags: RST, sequenceNumber: irs });
    expect(cap.take()).toHaveLength(0);
    expect(conn.state).toBe('established');
    expect(cap.layer.stats.challengeAcks).toBe(1);
  });

  it('SYN in ESTABLISHED → challenge ACK, connection kept', async () => {
    const { cap, conn, irs } = await passive();
    cap.inject({ flags: SYN, sequenceNumber: seqAdd(irs, 10) });
    expect(cap.take()[0]?.repr).toMatchObject({ flags: ACK, acknowledgmentNumber: seqAdd(irs, 1) });
    expect(conn.state).toBe('established');
    expect(cap.layer.stats.challengeAcks).toBe(1);
  });

  it('ACK of data never sent → challenge ACK and drop (RFC 5961 §5.2)', async () => {
    const { cap, conn, irs, iss } = await passive();
    cap.inject({
      flags: ACK,
      sequenceNumber: seqAdd(irs, 1),
      acknowledgmentNumber: seqAdd(iss, 1000),
      payload: new Uint8Array(10),
    });
    expect(cap.take()[0]?.repr.acknowledgmentNumber).toBe(seqAdd(irs, 1));
    expect(conn.readableLength).toBe(0);
    expect(cap.layer.stats.dropped['ack-out-of-window']).toBe(1);
  });

  it('challenge ACKs are rate-limited per connection (10 per 5 s)', async () => {
    const { cap, irs } = await passive();
    for (let i = 0; i < 15; i++) cap.inject({ flags: RST, sequenceNumber: seqAdd(irs, 2 + i) });
    expect(cap.take()).toHaveLength(10);
    expect(cap.layer.stats.challengeAcksSuppressed).toBe(5);
    cap.advanceTo(5_000_001);
    cap.take();
    cap.inject({ flags: RST, sequenceNumber: seqAdd(irs, 2) });
    expect(cap.take()).toHaveLength(1);
  });
});

describe('timestamps and PAWS (RFC 7323)', () => {
  it('negotiates, echoes TS.Recent, and drops an old TSval with an ACK (§5.3)', async () => {
    const { cap, conn, irs, iss, synAck } = await passive({
      options: { mss: 1460, timestamps: { value: 1000, echo: 0 } },
    });
    expect(synAck.repr.options.timestamps?.echo).toBe(1000);
    expect(conn.negotiated.timestamps).toBe(true);
    const rcvNxt = seqAdd(irs, 1);
    cap.inject({
      flags: ACK,
      sequenceNumber: rcvNxt,
      acknowledgmentNumber: seqAdd(iss, 1),
      options: { timestamps: { value: 2000, echo: 0 } },
      payload: new Uint8Array(10),
    });
    cap.advanceTo(100_000);
    const [ack] = cap.take();
    expect(ack?.repr.options.timestamps?.echo).toBe(2000);
    // An older TSval (a wrapped old duplicate): dropped, answered with an ACK.
    cap.inject({
      flags: ACK,
      sequenceNumber: seqAdd(rcvNxt, 10),
      acknowledgmentNumber: seqAdd(iss, 1),
      options: { timestamps: { value: 1500, echo: 0 } },
      payload: new Uint8Array(10),
    });
    expect(cap.layer.stats.dropped['paws']).toBe(1);
    expect(conn.readableLength).toBe(10);
    expect(cap.take()[0]?.repr.acknowledgmentNumber).toBe(seqAdd(rcvNxt, 10));
    // RST is exempt from PAWS.
    cap.inject({
      flags: RST,
      sequenceNumber: seqAdd(rcvNxt, 10),
      options: { timestamps: { value: 1, echo: 0 } },
    });
    expect(conn.state).toBe('closed');
  });
});

describe('retransmission (RFC 6298) and persist (RFC 9293 §3.8.6.1)', () => {
  it("Karn's rule for timestamps: an echo from before a timeout gives no RTT sample", async () => {
    const { cap, conn, irs } = await active({
      options: { mss: 1460, timestamps: { value: 7, echo: 0 } },
    });
    await conn.write(new Uint8Array(100));
    const [original] = cap.take();
    cap.advanceTo(1_500_000); // three timeouts: 200, 400, 800 ms
    expect(cap.layer.stats.timeouts).toBe(3);
    // The receiver got the original but its ACKs were lost; it echoes the original TSval.
    cap.inject({
      sourcePort: 80,
      destinationPort: conn.localPort,
      flags: ACK,
      sequenceNumber: seqAdd(irs, 1),
      acknowledgmentNumber: seqAdd(original!.repr.sequenceNumber, 100),
      options: { timestamps: { value: 8, echo: original!.repr.options.timestamps!.value } },
    });
    expect(conn.bufferedAmount).toBe(0);
    expect(conn.srtt).toBeLessThan(50_000);
    expect(conn.rto).toBe(200_000);
  });

  it('SYN retransmissions back off exponentially: 1, 2, 4, 8 s', () => {
    const cap = new Capture({ synRetries: 4 });
    void cap.layer.connect({ address: B, port: 80 }).catch(() => {});
    cap.advanceTo(40_000_000);
    const times = cap.take().map((s) => s.at);
    expect(times).toEqual([0, 1_000_000, 3_000_000, 7_000_000, 15_000_000]);
  });

  it('data retransmissions back off from the measured RTO and give up with ETIMEDOUT', async () => {
    const { cap, conn } = await active({ capture: { dataRetries: 5 } });
    await conn.write(new Uint8Array(100));
    cap.advanceTo(100_000_000);
    const sent = cap.take();
    const times = sent.map((s) => s.at);
    // Handshake RTT 0 → RTO clamps to the 200 ms minimum, then doubles (Karn: no new samples).
    expect(times).toEqual([0, 200_000, 600_000, 1_400_000, 3_000_000, 6_200_000, 12_600_000]);
    expect(sent.at(-1)?.repr.flags).toBe(RST);
    await expect(conn.closed).rejects.toMatchObject({ code: 'ETIMEDOUT' });
  });

  it('zero window: persist probes carry one byte and back off; an opened window resumes sending', async () => {
    const { cap, conn, irs, iss } = await passive({ window: 0 });
    await conn.write(pattern(3000));
    expect(cap.take()).toHaveLength(0);
    cap.advanceTo(3_000_000);
    const probes = cap.take();
    expect(probes.map((p) => p.at)).toEqual([200_000, 600_000, 1_400_000, 3_000_000]);
    for (const p of probes) {
      expect(p.repr.payloadLength).toBe(1);
      expect(p.repr.sequenceNumber).toBe(seqAdd(iss, 1));
    }
    expect(cap.layer.stats.windowProbes).toBe(4);
    cap.inject({
      flags: ACK,
      sequenceNumber: seqAdd(irs, 1),
      acknowledgmentNumber: seqAdd(iss, 1),
      window: 65535,
    });
    const resumed = cap.take();
    // The probe byte is sent again as part of the first segment; Nagle holds the 80-byte tail.
    expect(resumed.map((s) => s.repr.payloadLength)).toEqual([1460, 1460]);
    expect(resumed[0]?.repr.sequenceNumber).toBe(seqAdd(iss, 1));
    cap.inject({
      flags: ACK,
      sequenceNumber: seqAdd(irs, 1),
      acknowledgmentNumber: seqAdd(iss, 2921),
      window: 65535,
    });
    expect(cap.take().map((s) => s.repr.payloadLength)).toEqual([80]);
  });

  it('probes answered with a zero window go on; unanswered probes end in ETIMEDOUT', async () => {
    const { cap, conn, irs, iss } = await passive({ window: 0, capture: { dataRetries: 3 } });
    await conn.write(pattern(100));
    for (let i = 0; i < 6; i++) {
      cap.advanceTo(cap.layer.pollAt()!);
      // The peer answers each probe: still no window.
      cap.inject({
        flags: ACK,
        sequenceNumber: seqAdd(irs, 1),
        acknowledgmentNumber: seqAdd(iss, 1),
        window: 0,
      });
    }
    expect(conn.state).toBe('established');
    expect(cap.layer.stats.windowProbes).toBe(6);
    cap.advanceTo(cap.clock.now() + 600_000_000);
    expect(cap.layer.stats.windowProbes).toBe(9);
    await expect(conn.closed).rejects.toMatchObject({ code: 'ETIMEDOUT' });
  });

  it('fast retransmit on the third duplicate ACK (RFC 5681 §3.2)', async () => {
    const { cap, conn, irs, iss } = await passive({ capture: { congestionControl: 'newreno' } });
    await conn.write(pattern(10 * 1460));
    const first = cap.take();
    expect(first).toHaveLength(10);
    const dup = {
      flags: ACK,
      sequenceNumber: seqAdd(irs, 1),
      acknowledgmentNumber: seqAdd(iss, 1),
    };
    cap.inject(dup);
    cap.inject(dup);
    expect(cap.take()).toHaveLength(0);
    cap.inject(dup);
    const [rexmit] = cap.take();
    expect(rexmit?.repr.sequenceNumber).toBe(seqAdd(iss, 1));
    expect(rexmit?.repr.payloadLength).toBe(1460);
    expect(cap.layer.stats.fastRetransmits).toBe(1);
    expect(cap.clock.now()).toBe(0);
    // NewReno partial ACK: the next hole is retransmitted at once (RFC 6582 §3.2 step 5).
    cap.inject({ ...dup, acknowledgmentNumber: seqAdd(iss, 1 + 1460) });
    expect(cap.take()[0]?.repr.sequenceNumber).toBe(seqAdd(iss, 1 + 1460));
  });
});

describe('SACK across the 2^32 wrap (RFC 2018, RFC 6675)', () => {
  it('a receiver near the wrap reports wrapped SACK blocks', async () => {
    const irs = 0xffff_ff00;
    const {
      cap,
      irs: peer,
      iss,
    } = await passive({ irs, options: { mss: 1460, sackPermitted: true } });
    const rcvNxt = seqAdd(peer, 1);
    cap.inject({
      flags: ACK,
      sequenceNumber: seqAdd(rcvNxt, 0x200),
      acknowledgmentNumber: seqAdd(iss, 1),
      payload: new Uint8Array(0x100),
    });
    const [ack] = cap.take();
    expect(ack?.repr.options.sackBlocks).toEqual([{ start: 0x101, end: 0x201 }]);
  });

  it('a sender near the wrap retransmits the hole SACK blocks reveal', async () => {
    const { cap, conn, irs, iss } = await passive({
      options: { mss: 1000, sackPermitted: true },
      capture: { isn: { isn: () => 0xffff_f000 } },
    });
    expect(iss).toBe(0xffff_f000);
    await conn.write(pattern(8000));
    const sent = cap.take();
    expect(sent).toHaveLength(8);
    expect(sent[4]?.repr.sequenceNumber).toBe(seqAdd(iss, 4001)); // 0xfa1 past the wrap
    const ack = seqAdd(iss, 1);
    // Segment 0 lost; 1..3 SACKed (crossing 2^32): RFC 6675 IsLost → retransmit 0.
    cap.inject({
      flags: ACK,
      sequenceNumber: seqAdd(irs, 1),
      acknowledgmentNumber: ack,
      options: { sackBlocks: [{ start: seqAdd(ack, 1000), end: seqAdd(ack, 4000) }] },
    });
    const [rexmit] = cap.take();
    expect(rexmit?.repr.sequenceNumber).toBe(ack);
    expect(rexmit?.repr.payloadLength).toBe(1000);
    expect(cap.layer.stats.fastRetransmits).toBe(1);
  });
});

describe('ACK strategy, Nagle, keep-alive', () => {
  it('delays the ACK of one segment by 40 ms, ACKs every second full segment at once', async () => {
    const { cap, irs, iss } = await passive();
    const seq = seqAdd(irs, 1);
    const ack = seqAdd(iss, 1);
    cap.inject({
      flags: ACK,
      sequenceNumber: seq,
      acknowledgmentNumber: ack,
      payload: new Uint8Array(1460),
    });
    expect(cap.take()).toHaveLength(0);
    cap.advanceTo(40_000);
    expect(cap.take().map((s) => s.at)).toEqual([40_000]);
    cap.inject({
      flags: ACK,
      sequenceNumber: seqAdd(seq, 1460),
      acknowledgmentNumber: ack,
      payload: new Uint8Array(1460),
    });
    cap.inject({
      flags: ACK,
      sequenceNumber: seqAdd(seq, 2920),
      acknowledgmentNumber: ack,
      payload: new Uint8Array(1460),
    });
    const [now] = cap.take();
    expect(now?.repr.acknowledgmentNumber).toBe(seqAdd(seq, 4380));
    expect(now?.at).toBe(40_000);
  });

  it('Nagle holds small segments while data is unacknowledged; setNoDelay sends at once', async () => {
    const { cap, conn, irs, iss } = await passive();
    await conn.write(new Uint8Array(10));
    await conn.write(new Uint8Array(10));
    expect(cap.take().map((s) => s.repr.payloadLength)).toEqual([10]);
    cap.inject({
      flags: ACK,
      sequenceNumber: seqAdd(irs, 1),
      acknowledgmentNumber: seqAdd(iss, 11),
    });
    expect(cap.take().map((s) => s.repr.payloadLength)).toEqual([10]);
    conn.setNoDelay(true);
    await conn.write(new Uint8Array(5));
    expect(cap.take().map((s) => s.repr.payloadLength)).toEqual([5]);
  });

  it('sender SWS avoidance: no small segment into a sliver of window while data is in flight', async () => {
    const { cap, conn, irs, iss } = await passive({ capture: { congestionControl: 'newreno' } });
    await conn.write(pattern(20_000));
    expect(cap.take()).toHaveLength(10); // initial window: 10 · 1460
    const seq = seqAdd(irs, 1);
    // Two segments ACKed, but the window leaves only 1000 bytes beyond SND.NXT.
    cap.inject({
      flags: ACK,
      sequenceNumber: seq,
      acknowledgmentNumber: seqAdd(iss, 1 + 2920),
      window: 12_680,
    });
    expect(cap.take()).toHaveLength(0);
    // Everything ACKed, window fully open: full segments flow again.
    cap.inject({
      flags: ACK,
      sequenceNumber: seq,
      acknowledgmentNumber: seqAdd(iss, 1 + 14_600),
      window: 65_535,
    });
    const sent = cap.take();
    expect(sent.length).toBeGreaterThan(0);
    expect(
      sent.every(
        (s) => s.repr.payloadLength === 1460 || s.repr.payloadLength === 20_000 - 14_600 - 1460 * 3,
      ),
    ).toBe(true);
  });

  it('keep-alive probes SND.UNA − 1 when idle and fails after 9 unanswered probes (RFC 1122 §4.2.3.6)', async () => {
    const { cap, conn, iss } = await passive();
    conn.setKeepAlive(10_000_000);
    cap.advanceTo(10_000_000);
    const [probe] = cap.take();
    expect(probe?.repr).toMatchObject({ flags: ACK, sequenceNumber: iss, payloadLength: 0 });
    cap.advanceTo(200_000_000);
    expect(cap.layer.stats.keepAliveProbes).toBe(9);
    await expect(conn.closed).rejects.toMatchObject({ code: 'ETIMEDOUT' });
  });

  it('user timeout fails a connection whose data stays unacknowledged (RFC 5482)', async () => {
    const { cap, conn } = await passive();
    conn.setUserTimeout(2_000_000);
    await conn.write(new Uint8Array(100));
    cap.advanceTo(10_000_000);
    await expect(conn.closed).rejects.toMatchObject({ code: 'ETIMEDOUT' });
  });
});

describe('listen backlog and SYN cookies (RFC 4987)', () => {
  it('beyond the SYN backlog the listener answers with cookies; a valid cookie ACK opens a connection', async () => {
    const cap = new Capture({ synBacklog: 2 });
    const listener = cap.layer.listen({ port: 80 });
    for (let i = 0; i < 5; i++)
      cap.inject({
        flags: SYN,
        sequenceNumber: 100 * i,
        sourcePort: 1000 + i,
        options: { mss: 1460 },
      });
    const synAcks = cap.take();
    expect(synAcks).toHaveLength(5);
    expect(cap.layer.connectionCount).toBe(2);
    expect(cap.layer.stats.synCookiesSent).toBe(3);
    const cookie = synAcks[4]!.repr;
    // A forged cookie is refused with RST.
    cap.inject({
      flags: ACK,
      sourcePort: 1004,
      sequenceNumber: 401,
      acknowledgmentNumber: seqAdd(cookie.sequenceNumber, 2),
    });
    expect(cap.take()[0]?.repr.flags).toBe(RST);
    cap.inject({
      flags: ACK | PSH,
      sourcePort: 1004,
      sequenceNumber: 401,
      acknowledgmentNumber: seqAdd(cookie.sequenceNumber, 1),
      payload: new Uint8Array([7, 8]),
    });
    const conn = (await listener.accept()) as TcpConnection;
    expect(conn.remotePort).toBe(1004);
    expect(conn.state).toBe('established');
    expect(conn.mss).toBeLessThanOrEqual(1460);
    expect(await conn.read()).toEqual(new Uint8Array([7, 8]));
    expect(cap.layer.stats.synCookiesAccepted).toBe(1);
  });

  it('a retransmitted SYN in SYN-RECEIVED gets the SYN-ACK again', () => {
    const cap = new Capture();
    cap.layer.listen({ port: 80 });
    cap.inject({ flags: SYN, sequenceNumber: 7 });
    cap.inject({ flags: SYN, sequenceNumber: 7 });
    const [a, b] = cap.take();
    expect(b?.repr).toEqual(a?.repr);
    expect(cap.layer.connectionCount).toBe(1);
  });
});

describe('TIME-WAIT', () => {
  it('acknowledges a retransmitted FIN and restarts 2·MSL; a new SYN with a higher sequence reopens (RFC 6191)', async () => {
    const { cap, conn, irs, iss, listener } = await passive({
      capture: { maxSegmentLifetime: 1_000_000 },
    });
    void conn.end();
    const [fin] = cap.take();
    expect(fin?.repr.flags).toBe(ACK | FIN);
    cap.inject({
      flags: ACK | FIN,
      sequenceNumber: seqAdd(irs, 1),
      acknowledgmentNumber: seqAdd(iss, 2),
    });
    expect(conn.state).toBe('time-wait');
    cap.take();
    cap.advanceTo(1_000_000);
    cap.inject({
      flags: ACK | FIN,
      sequenceNumber: seqAdd(irs, 1),
      acknowledgmentNumber: seqAdd(iss, 2),
    });
    expect(cap.take()[0]?.repr).toMatchObject({ flags: ACK, acknowledgmentNumber: seqAdd(irs, 2) });
    cap.advanceTo(2_500_000);
    expect(conn.state).toBe('time-wait');
    cap.inject({ flags: SYN, sequenceNumber: seqAdd(irs, 100_000) });
    expect(cap.take()[0]?.repr.flags).toBe(SYN | ACK);
    expect(conn.state).toBe('closed');
    expect(cap.layer.connectionCount).toBe(1);
    void listener;
  });
});
