import {
  DhcpClient,
  DhcpError,
  type DhcpEvent,
  type DhcpRepr,
  dhcpReprLength,
  emitDhcpRepr,
  parseDhcpRepr,
  type UdpTransmit,
} from '@libos/net';
import { SeededEntropy } from '@libos/sched';
import { describe, expect, it } from 'vitest';

const S = 1_000_000;
const MAC = Uint8Array.from([0x52, 0x54, 0x00, 0x12, 0x34, 0x56]);
const ip = (a: number, b: number, c: number, d: number): number =>
  ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
const SERVER = ip(10, 0, 2, 2);
const OFFERED = ip(10, 0, 2, 15);
const BROADCAST = 0xffffffff;

function parse(t: UdpTransmit): DhcpRepr {
  const repr = parseDhcpRepr(t.payload);
  if (typeof repr === 'string') throw new Error(`client sent an unparseable message: ${repr}`);
  return repr;
}

function encode(repr: DhcpRepr): Uint8Array {
  const out = new Uint8Array(dhcpReprLength(repr));
  emitDhcpRepr(repr, out);
  return out;
}

type ServerMode = 'normal' | 'silent' | 'nak';

/** A tiny in-test DHCP server (RFC 2131 §4.3) with a mode switch. */
class TestServer {
  mode: ServerMode = 'normal';
  leaseTime = 3600;
  readonly seen: Array<{ at: number; t: UdpTransmit; repr: DhcpRepr }> = [];

  reply(t: UdpTransmit, at: number): Uint8Array | undefined {
    const req = parse(t);
    this.seen.push({ at, t, repr: req });
    if (this.mode === 'silent') return undefined;
    const base = {
      op: 2,
      xid: req.xid,
      secs: 0,
      broadcast: req.broadcast,
      ciaddr: req.ciaddr,
      siaddr: 0,
      giaddr: 0,
      chaddr: req.chaddr,
      serverId: SERVER,
    } as const;
    if (req.messageType === 'discover') {
      return encode({ ...base, messageType: 'offer', yiaddr: OFFERED, leaseTime: this.leaseTime });
    }
    if (req.messageType === 'request') {
      if (this.mode === 'nak') return encode({ ...base, messageType: 'nak', yiaddr: 0 });
      return encode({
        ...base,
        messageType: 'ack',
        yiaddr: OFFERED,
        leaseTime: this.leaseTime,
        subnetMask: 0xffffff00,
        routers: [SERVER],
        dnsServers: [ip(10, 0, 2, 3)],
        domainName: 'example.test',
      });
    }
    return undefined;
  }
}

function setup(options: { seed?: number; maxRequestAttempts?: number } = {}) {
  const client = new DhcpClient({
    hardwareAddress: MAC,
    entropy: new SeededEntropy(options.seed ?? 1),
    hostName: 'libos',
    ...(options.maxRequestAttempts === undefined
      ? {}
      : { maxRequestAttempts: options.maxRequestAttempts }),
  });
  const server = new TestServer();
  const events: DhcpEvent[] = [];
  client.onChange((e) => events.push(e));
  let now = 0;
  /** Runs the client in virtual time until `until` (bounded). */
  const run = (until: number): void => {
    for (let step = 0; step < 10_000; step++) {
      for (let t = client.poll(now); t; t = client.poll(now)) {
        const reply = server.reply(t, now);
        if (reply) client.handle(reply, { address: SERVER, port: 67 }, now);
      }
      const next = client.pollAt();
      if (next === undefined || next > until) {
        now = until;
        return;
      }
      now = Math.max(now, next);
    }
    throw new Error('virtual time did not advance');
  };
  return { client, server, events, run, now: () => now };
}

describe('DhcpClient acquisition', () => {
  it('DISCOVER → OFFER → REQUEST → ACK binds a lease', () => {
    const { client, server, events, run } = setup();
    expect(client.state).toBe('init');
    run(0);
    expect(client.state).toBe('bound');
    const [discover, request] = server.seen;
    // DISCOVER: from 0.0.0.0:68 to 255.255.255.255:67 with the broadcast flag.
    expect(discover!.t).toMatchObject({
      source: 0,
      sourcePort: 68,
      destination: BROADCAST,
      destinationPort: 67,
    });
    expect(discover!.t.payload.length).toBe(300);
    expect(discover!.repr).toMatchObject({
      op: 1,
      messageType: 'discover',
      broadcast: true,
      ciaddr: 0,
      secs: 0,
      hostName: 'libos',
      parameterRequestList: [1, 3, 6, 15, 51, 58, 59],
      maxMessageSize: 1500,
    });
    expect([...discover!.repr.clientId!]).toEqual([1, ...MAC]);
    expect([...discover!.repr.chaddr]).toEqual([...MAC]);
    expect(discover!.repr.requestedIp).toBeUndefined();
    // REQUEST in SELECTING: same xid, options 50 and 54, ciaddr 0, broadcast.
    expect(request!.t).toMatchObject({ source: 0, destination: BROADCAST, destinationPort: 67 });
    expect(request!.repr).toMatchObject({
      messageType: 'request',
      xid: discover!.repr.xid,
      requestedIp: OFFERED,
      serverId: SERVER,
      ciaddr: 0,
      broadcast: true,
    });
    expect(events.map((e) => e.type)).toEqual(['bound']);
    const lease = client.lease!;
    expect(lease).toMatchObject({
      address: OFFERED,
      subnetMask: 0xffffff00,
      prefixLength: 24,
      routers: [SERVER],
      dnsServers: [ip(10, 0, 2, 3)],
      domainName: 'example.test',
      serverId: SERVER,
      leaseTime: 3600,
      renewalTime: 1800,
      rebindingTime: 3150,
      renewAt: 1800 * S,
      rebindAt: 3150 * S,
      expiresAt: 3600 * S,
    });
    expect(events[0]!.lease).toBe(lease);
    expect(client.pollAt()).toBe(1800 * S);
  });

  it('retransmits DISCOVER after 4, 8, 16, 32, 64, 64 s, each ±1 s, with the same xid', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const { client, server, run } = setup({ seed });
      server.mode = 'silent';
      run(300 * S);
      const times = server.seen.map((s) => s.at);
      const gaps = times.slice(1).map((t, i) => (t - times[i]!) / S);
      const bases = [4, 8, 16, 32, 64, 64];
      expect(gaps.length).toBeGreaterThanOrEqual(bases.length);
      bases.forEach((base, i) => {
        expect(gaps[i]).toBeGreaterThanOrEqual(base - 1);
        expect(gaps[i]).toBeLessThanOrEqual(base + 1);
      });
      for (const gap of gaps) expect(gap).toBeLessThanOrEqual(65);
      expect(new Set(server.seen.map((s) => s.repr.xid)).size).toBe(1);
      // secs counts from the start of acquisition.
      expect(server.seen[2]!.repr.secs).toBe(Math.floor(times[2]! / S));
      expect(client.state).toBe('selecting');
    }
  });

  it('gives up REQUESTING after the configured attempts and restarts discovery', () => {
    const { client, server, run } = setup({ maxRequestAttempts: 2 });
    // Answer the DISCOVER, then go silent.
    const original = server.reply.bind(server);
    server.reply = (t, at) => {
      const reply = original(t, at);
      if (parse(t).messageType === 'discover' && server.seen.length === 1) {
        server.mode = 'silent';
        return reply;
      }
      return server.mode === 'silent' ? undefined : reply;
    };
    server.mode = 'normal';
    run(30 * S);
    const types = server.seen.map((s) => s.repr.messageType);
    expect(types.slice(0, 4)).toEqual(['discover', 'request', 'request', 'discover']);
    expect(server.seen[3]!.repr.xid).not.toBe(server.seen[0]!.repr.xid);
    expect(client.state).toBe('selecting');
  });

  it('DHCPNAK in REQUESTING returns to INIT and starts over', () => {
    const { client, server, events, run } = setup();
    server.mode = 'nak';
    const first = server.reply.bind(server);
    let naks = 0;
    server.reply = (t, at) => {
      const reply = first(t, at);
      if (parse(t).messageType === 'request' && ++naks === 1) {
        server.mode = 'normal';
        return reply;
      }
      return reply;
    };
    run(0);
    expect(events.map((e) => e.type)).toEqual(['nak']);
    expect(client.state).toBe('init');
    // Restart after the first back-off step: 4 s ± 1 s.
    expect(client.pollAt()).toBeGreaterThanOrEqual(3 * S);
    expect(client.pollAt()).toBeLessThanOrEqual(5 * S);
    run(5 * S);
    expect(events.map((e) => e.type)).toEqual(['nak', 'bound']);
    expect(server.seen.map((s) => s.repr.messageType)).toEqual([
      'discover',
      'request',
      'discover',
      'request',
    ]);
    expect(client.state).toBe('bound');
  });
});

describe('DhcpClient lease lifetime', () => {
  it('renews at T1 by unicast from the leased address', () => {
    const { client, server, events, run } = setup();
    run(0);
    const firstXid = client.xid;
    run(1800 * S);
    const renew = server.seen[2]!;
    expect(renew.at).toBe(1800 * S);
    expect(renew.t).toMatchObject({
      source: OFFERED,
      sourcePort: 68,
      destination: SERVER,
      destinationPort: 67,
    });
    expect(renew.repr).toMatchObject({
      messageType: 'request',
      ciaddr: OFFERED,
      broadcast: false,
      secs: 0,
    });
    expect(renew.repr.requestedIp).toBeUndefined();
    expect(renew.repr.serverId).toBeUndefined();
    expect(renew.repr.xid).not.toBe(firstXid);
    expect(events.map((e) => e.type)).toEqual(['bound', 'renewed']);
    expect(client.state).toBe('bound');
    expect(client.lease!.expiresAt).toBe((1800 + 3600) * S);
    expect(client.pollAt()).toBe((1800 + 1800) * S);
  });

  it('rebinds by broadcast at T2 when the server is silent, retransmitting no sooner than 60 s', () => {
    const { client, server, events, run } = setup();
    run(0);
    server.mode = 'silent';
    run(3150 * S - 1);
    expect(client.state).toBe('renewing');
    const renewing = server.seen.slice(2).map((s) => s.at / S);
    // T1 = 1800; then half of the remaining time to T2 (675 s), 337.5 s, ... ≥ 60 s.
    expect(renewing.slice(0, 3)).toEqual([1800, 2475, 2812.5]);
    for (let i = 1; i < renewing.length; i++)
      expect(renewing[i]! - renewing[i - 1]!).toBeGreaterThanOrEqual(60);
    for (const s of server.seen.slice(2)) expect(s.t.destination).toBe(SERVER);
    server.mode = 'normal';
    run(3150 * S);
    const rebind = server.seen.at(-1)!;
    expect(rebind.at).toBe(3150 * S);
    expect(rebind.t).toMatchObject({
      source: OFFERED,
      destination: BROADCAST,
      destinationPort: 67,
    });
    expect(rebind.repr).toMatchObject({ messageType: 'request', ciaddr: OFFERED });
    expect(rebind.repr.serverId).toBeUndefined();
    expect(events.map((e) => e.type)).toEqual(['bound', 'renewed']);
    expect(client.lease!.expiresAt).toBe((3150 + 3600) * S);
  });

  it('expires the lease when nobody answers, then rediscovers', () => {
    const { client, server, events, run } = setup();
    run(0);
    const lease = client.lease!;
    server.mode = 'silent';
    run(3600 * S - 1);
    expect(client.state).toBe('rebinding');
    expect(client.lease).toBe(lease);
    run(3600 * S);
    expect(events.map((e) => e.type)).toEqual(['bound', 'expired']);
    expect(events[1]!.previousLease).toBe(lease);
    expect(client.lease).toBeUndefined();
    expect(client.state).toBe('selecting');
    const last = server.seen.at(-1)!;
    expect(last.at).toBe(3600 * S);
    expect(last.repr.messageType).toBe('discover');
    expect(last.t.source).toBe(0);
  });

  it('drops the lease on DHCPNAK while RENEWING', () => {
    const { client, server, events, run } = setup();
    run(0);
    server.mode = 'nak';
    run(1800 * S);
    expect(events.map((e) => e.type)).toEqual(['bound', 'nak']);
    expect(events[1]!.previousLease?.address).toBe(OFFERED);
    expect(client.lease).toBeUndefined();
    expect(client.state).toBe('init');
    // A server that NAKs everything: restarts back off 4, 8, 16, 32, 64, 64 s (±1 s).
    run(1800 * S + 400 * S);
    const nakTimes = events.filter((e) => e.type === 'nak').map((e) => e.at / S);
    const gaps = nakTimes.slice(1).map((t, i) => t - nakTimes[i]!);
    [4, 8, 16, 32, 64, 64].forEach((base, i) => {
      expect(gaps[i]).toBeGreaterThanOrEqual(base - 1);
      expect(gaps[i]).toBeLessThanOrEqual(base + 1);
    });
  });

  it('declines an address in use: DHCPDECLINE, then DISCOVER no sooner than 10 s later', () => {
    const { client, server, events, run, now } = setup();
    run(0);
    const lease = client.lease!;
    client.decline(now());
    expect(client.lease).toBeUndefined();
    expect(events.map((e) => e.type)).toEqual(['bound', 'declined']);
    expect(client.pollAt()).toBe(0);
    const decline = client.poll(now())!;
    const repr = parse(decline);
    expect(decline).toMatchObject({
      source: 0,
      destination: BROADCAST,
      destinationPort: 67,
      sourcePort: 68,
    });
    expect(repr).toMatchObject({
      messageType: 'decline',
      ciaddr: 0,
      requestedIp: lease.address,
      serverId: SERVER,
    });
    expect(repr.parameterRequestList).toBeUndefined();
    expect(client.poll(now())).toBeUndefined();
    expect(client.pollAt()).toBe(10 * S);
    server.mode = 'silent';
    run(10 * S);
    const rediscover = server.seen.at(-1)!;
    expect(rediscover.at).toBe(10 * S);
    expect(rediscover.repr.messageType).toBe('discover');
    expect(() => client.decline(now())).toThrow(DhcpError);
  });

  it('releases by unicast and stays stopped until start()', () => {
    const { client, server, events, run, now } = setup();
    run(0);
    client.release(now());
    const release = client.poll(now())!;
    expect(release).toMatchObject({ source: OFFERED, destination: SERVER, destinationPort: 67 });
    expect(parse(release)).toMatchObject({
      messageType: 'release',
      ciaddr: OFFERED,
      serverId: SERVER,
    });
    expect(client.state).toBe('stopped');
    expect(client.pollAt()).toBeUndefined();
    expect(events.at(-1)!.type).toBe('released');
    client.start(now());
    run(now());
    expect(client.state).toBe('bound');
    expect(server.seen.at(-1)!.repr.messageType).toBe('request');
  });
});

describe('DhcpClient on untrusted input', () => {
  it('ignores and counts datagrams that do not belong to the exchange', () => {
    const { client, server } = setup();
    const discover = client.poll(0)!;
    const offer = server.reply(discover, 0)!;
    const from = { address: SERVER, port: 67 };
    const variant = (edit: (b: Uint8Array) => void): Uint8Array => {
      const b = offer.slice();
      edit(b);
      return b;
    };
    client.handle(offer, { address: SERVER, port: 6767 }, 0);
    client.handle(offer.subarray(0, 200), from, 0);
    client.handle(
      variant((b) => (b[236] = 0)),
      from,
      0,
    );
    client.handle(
      variant((b) => (b[0] = 1)),
      from,
      0,
    );
    client.handle(
      variant((b) => (b[4] = b[4]! ^ 0xff)),
      from,
      0,
    );
    client.handle(
      variant((b) => (b[33] = b[33]! ^ 0xff)),
      from,
      0,
    );
    client.handle(
      variant((b) => b.set([0, 0, 0, 0], 16)),
      from,
      0,
    );
    client.handle(
      variant((b) => (b[242] = 5)),
      from,
      0,
    ); // an ACK while SELECTING
    expect(client.state).toBe('selecting');
    expect(client.stats.ignored).toEqual({
      'wrong-port': 1,
      truncated: 1,
      'bad-cookie': 1,
      'not-reply': 1,
      'wrong-xid': 1,
      'wrong-chaddr': 1,
      'no-address': 1,
      unexpected: 1,
    });
    expect(client.stats.accepted).toBe(0);
    client.handle(offer, from, 0);
    expect(client.state).toBe('requesting');
    expect(client.stats).toMatchObject({ received: 9, accepted: 1 });
  });

  it('ignores an OFFER without a server id, an ACK from another server, and an ACK without a lease time', () => {
    const { client } = setup();
    const from = { address: SERVER, port: 67 };
    const discover = parse(client.poll(0)!);
    const reply = (repr: Partial<DhcpRepr>): Uint8Array =>
      encode({
        op: 2,
        messageType: 'offer',
        xid: discover.xid,
        secs: 0,
        broadcast: true,
        ciaddr: 0,
        yiaddr: OFFERED,
        siaddr: 0,
        giaddr: 0,
        chaddr: MAC,
        ...repr,
      });
    client.handle(reply({}), from, 0);
    expect(client.lastIgnored).toBe('no-server-id');
    client.handle(reply({ serverId: SERVER, leaseTime: 60 }), from, 0);
    expect(client.state).toBe('requesting');
    expect(parse(client.poll(0)!).messageType).toBe('request');
    client.handle(reply({ messageType: 'ack', serverId: ip(10, 9, 9, 9), leaseTime: 60 }), from, 0);
    expect(client.lastIgnored).toBe('wrong-server');
    client.handle(reply({ messageType: 'ack', serverId: SERVER }), from, 0);
    expect(client.lastIgnored).toBe('no-lease-time');
    expect(client.state).toBe('requesting');
    // An infinite lease (0xffffffff) never renews; no subnet mask → classful /8 for 10/8.
    client.handle(reply({ messageType: 'ack', serverId: SERVER, leaseTime: 0xffffffff }), from, 0);
    expect(client.state).toBe('bound');
    expect(client.lease).toMatchObject({
      prefixLength: 8,
      renewAt: undefined,
      expiresAt: undefined,
    });
    expect(client.pollAt()).toBeUndefined();
  });

  it('rejects a hardware address that is not 6 bytes', () => {
    expect(
      () => new DhcpClient({ hardwareAddress: new Uint8Array(5), entropy: new SeededEntropy(1) }),
    ).toThrow(DhcpError);
  });
});
