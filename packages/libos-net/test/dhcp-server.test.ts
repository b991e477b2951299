/**
 * The sans-IO DHCP server (RFC 2131 §4.3) against libos's own DhcpClient, and against
 * hand-built requests for the paths a well-behaved client does not take: other
 * servers, INIT-REBOOT, unknown clients, an exhausted pool, DECLINE, RELEASE, INFORM,
 * malformed datagrams.
 */
import {
  DhcpClient,
  type DhcpRepr,
  DhcpServer,
  type DhcpServerOptions,
  type DhcpServerOutcome,
  dhcpReprLength,
  emitDhcpRepr,
  parseDhcpRepr,
  type UdpTransmit,
} from '@libos/net';
import { SeededEntropy } from '@libos/sched';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

const ip = (text: string): number => text.split('.').reduce((a, o) => a * 256 + Number(o), 0);
const SECOND = 1_000_000;
const SERVER = ip('10.0.2.2');
const BROADCAST = 0xffffffff;

const OPTIONS: DhcpServerOptions = {
  serverAddress: '10.0.2.2',
  prefixLength: 24,
  poolStart: '10.0.2.15',
  poolSize: 4,
  dnsServers: ['10.0.2.3'],
  leaseTime: 3600,
};

function mac(last: number): Uint8Array {
  return Uint8Array.of(0x52, 0x54, 0x00, 0x12, 0x34, last);
}

function request(fields: Partial<DhcpRepr> & Pick<DhcpRepr, 'messageType' | 'chaddr'>): Uint8Array {
  const repr: DhcpRepr = {
    op: 1,
    xid: 0x1234,
    secs: 0,
    broadcast: false,
    ciaddr: 0,
    yiaddr: 0,
    siaddr: 0,
    giaddr: 0,
    ...fields,
  };
  const bytes = new Uint8Array(dhcpReprLength(repr));
  emitDhcpRepr(repr, bytes);
  return bytes;
}

const FROM_CLIENT = { address: 0, port: 68 };

function replyOf(outcome: DhcpServerOutcome): { transmit: UdpTransmit; repr: DhcpRepr } {
  if (!('reply' in outcome)) throw new Error(`expected a reply, got ${JSON.stringify(outcome)}`);
  const repr = parseDhcpRepr(outcome.reply.payload);
  if (typeof repr === 'string') throw new Error(`reply does not parse: ${repr}`);
  return { transmit: outcome.reply, repr };
}

/** Runs client ↔ server until neither has anything to say; returns the client. */
function exchange(server: DhcpServer, client: DhcpClient, now: number): void {
  for (let round = 0; round < 10; round++) {
    const out = client.poll(now);
    if (!out) return;
    const outcome = server.handle(out.payload, { address: out.source, port: out.sourcePort }, now);
    if ('reply' in outcome) {
      client.handle(outcome.reply.payload, { address: SERVER, port: 67 }, now);
    }
  }
  throw new Error('exchange did not settle in 10 rounds');
}

describe('DhcpServer with the libos DhcpClient', () => {
  it('hands out the first pool address with mask, router, DNS and lease time', () => {
    const server = new DhcpServer(OPTIONS);
    const client = new DhcpClient({ hardwareAddress: mac(1), entropy: new SeededEntropy(1) });
    exchange(server, client, 0);
    expect(client.state).toBe('bound');
    const lease = client.lease!;
    expect(lease.address).toBe(ip('10.0.2.15'));
    expect(lease.prefixLength).toBe(24);
    expect(lease.routers).toEqual([SERVER]);
    expect(lease.dnsServers).toEqual([ip('10.0.2.3')]);
    expect(lease.leaseTime).toBe(3600);
    expect(lease.renewalTime).toBe(1800);
    expect(lease.rebindingTime).toBe(3150);
    expect(lease.serverId).toBe(SERVER);
    expect(server.stats).toMatchObject({ offers: 1, acks: 1, naks: 0 });
    expect(server.leases(0)).toMatchObject([{ address: ip('10.0.2.15'), state: 'bound' }]);
  });

  it('renews at T1 by unicast and keeps the address; a second client gets the next one', () => {
    const server = new DhcpServer(OPTIONS);
    const a = new DhcpClient({ hardwareAddress: mac(1), entropy: new SeededEntropy(1) });
    const b = new DhcpClient({ hardwareAddress: mac(2), entropy: new SeededEntropy(2) });
    exchange(server, a, 0);
    exchange(server, b, 0);
    expect(b.lease?.address).toBe(ip('10.0.2.16'));
    const t1 = a.lease!.renewAt!;
    const renewal = a.poll(t1)!;
    expect(renewal.destination).toBe(SERVER);
    const outcome = server.handle(renewal.payload, { address: renewal.source, port: 68 }, t1);
    const { transmit, repr } = replyOf(outcome);
    // RFC 2131 §4.1: a client with ciaddr gets the ACK unicast to ciaddr.
    expect(transmit.destination).toBe(ip('10.0.2.15'));
    expect(repr.ciaddr).toBe(ip('10.0.2.15'));
    const events: string[] = [];
    a.onChange((e) => events.push(e.type));
    a.handle(transmit.payload, { address: SERVER, port: 67 }, t1);
    expect(events).toEqual(['renewed']);
    expect(a.lease!.expiresAt).toBe(t1 + 3600 * SECOND);
  });

  it('offers the same address again to a client that rediscovers', () => {
    const server = new DhcpServer(OPTIONS);
    const first = replyOf(
      server.handle(request({ messageType: 'discover', chaddr: mac(9) }), FROM_CLIENT, 0),
    );
    const again = replyOf(
      server.handle(request({ messageType: 'discover', chaddr: mac(9) }), FROM_CLIENT, SECOND),
    );
    expect(again.repr.yiaddr).toBe(first.repr.yiaddr);
    expect(server.leases(SECOND)).toHaveLength(1);
  });

  it('honours a free requested address and caps the requested lease time', () => {
    const server = new DhcpServer({ ...OPTIONS, maxLeaseTime: 7200 });
    const { repr } = replyOf(
      server.handle(
        request({
          messageType: 'discover',
          chaddr: mac(3),
          requestedIp: ip('10.0.2.17'),
          leaseTime: 99_999,
        }),
        FROM_CLIENT,
        0,
      ),
    );
    expect(repr.yiaddr).toBe(ip('10.0.2.17'));
    expect(repr.leaseTime).toBe(7200);
    expect(repr.messageType).toBe('offer');
    expect(repr.serverId).toBe(SERVER);
    expect(repr.subnetMask).toBe(0xffffff00);
  });
});

describe('DhcpServer requests (RFC 2131 §4.3.2)', () => {
  it('NAKs a SELECTING request for an address it did not offer, by broadcast', () => {
    const server = new DhcpServer(OPTIONS);
    server.handle(request({ messageType: 'discover', chaddr: mac(1) }), FROM_CLIENT, 0);
    const outcome = server.handle(
      request({
        messageType: 'request',
        chaddr: mac(1),
        serverId: SERVER,
        requestedIp: ip('10.0.2.18'),
      }),
      FROM_CLIENT,
      0,
    );
    const { transmit, repr } = replyOf(outcome);
    expect(repr.messageType).toBe('nak');
    expect(repr.yiaddr).toBe(0);
    expect(repr.serverId).toBe(SERVER);
    expect(repr.leaseTime).toBeUndefined();
    expect(transmit.destination).toBe(BROADCAST);
  });

  it('forgets its offer when the client selects another server', () => {
    const server = new DhcpServer(OPTIONS);
    server.handle(request({ messageType: 'discover', chaddr: mac(1) }), FROM_CLIENT, 0);
    const outcome = server.handle(
      request({
        messageType: 'request',
        chaddr: mac(1),
        serverId: ip('10.0.2.99'),
        requestedIp: ip('10.0.2.15'),
      }),
      FROM_CLIENT,
      0,
    );
    expect(outcome).toEqual({ action: 'ignored', reason: 'other-server' });
    expect(server.leases(0)).toEqual([]);
  });

  it('INIT-REBOOT: silent for an unknown client, NAK off-subnet, ACK its own lease', () => {
    const server = new DhcpServer(OPTIONS);
    const reboot = (m: Uint8Array, wanted: string): DhcpServerOutcome =>
      server.handle(
        request({ messageType: 'request', chaddr: m, requestedIp: ip(wanted) }),
        FROM_CLIENT,
        0,
      );
    expect(reboot(mac(1), '10.0.2.15')).toEqual({ action: 'ignored', reason: 'unknown-client' });
    expect(replyOf(reboot(mac(1), '192.168.1.5')).repr.messageType).toBe('nak');
    const client = new DhcpClient({ hardwareAddress: mac(1), entropy: new SeededEntropy(4) });
    exchange(server, client, 0);
    const ack = replyOf(reboot(mac(1), '10.0.2.15'));
    expect(ack.repr.messageType).toBe('ack');
    expect(ack.repr.yiaddr).toBe(ip('10.0.2.15'));
    expect(replyOf(reboot(mac(1), '10.0.2.16')).repr.messageType).toBe('nak');
  });

  it('REBINDING without a record: grants a free pool address, NAKs a foreign one', () => {
    const server = new DhcpServer(OPTIONS);
    const rebind = (ciaddr: string): DhcpServerOutcome =>
      server.handle(
        request({ messageType: 'request', chaddr: mac(5), ciaddr: ip(ciaddr) }),
        { address: ip(ciaddr), port: 68 },
        0,
      );
    expect(replyOf(rebind('10.0.2.40')).repr.messageType).toBe('nak');
    const ack = replyOf(rebind('10.0.2.16'));
    expect(ack.repr.messageType).toBe('ack');
    expect(ack.transmit.destination).toBe(ip('10.0.2.16'));
    expect(server.leases(0)).toMatchObject([{ address: ip('10.0.2.16'), state: 'bound' }]);
  });
});

describe('DhcpServer pool', () => {
  it('is bounded: ignores a DISCOVER when full and reuses addresses once leases expire', () => {
    const server = new DhcpServer({ ...OPTIONS, poolSize: 2, leaseTime: 60 });
    for (const n of [1, 2]) {
      exchange(
        server,
        new DhcpClient({ hardwareAddress: mac(n), entropy: new SeededEntropy(n) }),
        0,
      );
    }
    const third = request({ messageType: 'discover', chaddr: mac(3) });
    expect(server.handle(third, FROM_CLIENT, 30 * SECOND)).toEqual({
      action: 'ignored',
      reason: 'pool-exhausted',
    });
    const later = replyOf(server.handle(third, FROM_CLIENT, 61 * SECOND));
    expect(later.repr.yiaddr).toBe(ip('10.0.2.15'));
    expect(server.stats.ignored['pool-exhausted']).toBe(1);
  });

  it('an unanswered offer is held for offerHoldSeconds, then freed', () => {
    const server = new DhcpServer({ ...OPTIONS, poolSize: 1, offerHoldSeconds: 10 });
    server.handle(request({ messageType: 'discover', chaddr: mac(1) }), FROM_CLIENT, 0);
    const other = request({ messageType: 'discover', chaddr: mac(2) });
    expect(server.handle(other, FROM_CLIENT, 9 * SECOND).action).toBe('ignored');
    expect(server.handle(other, FROM_CLIENT, 10 * SECOND).action).toBe('offer');
  });

  it('quarantines a declined address and frees a released one', () => {
    const server = new DhcpServer({ ...OPTIONS, poolSize: 2, declineHoldSeconds: 100 });
    const a = new DhcpClient({ hardwareAddress: mac(1), entropy: new SeededEntropy(1) });
    exchange(server, a, 0);
    a.decline(0);
    const decline = a.poll(0)!;
    expect(server.handle(decline.payload, FROM_CLIENT, 0)).toEqual({
      action: 'declined',
      address: ip('10.0.2.15'),
    });
    const again = replyOf(
      server.handle(request({ messageType: 'discover', chaddr: mac(1) }), FROM_CLIENT, SECOND),
    );
    expect(again.repr.yiaddr).toBe(ip('10.0.2.16'));
    const b = new DhcpClient({ hardwareAddress: mac(2), entropy: new SeededEntropy(2) });
    expect(
      server.handle(request({ messageType: 'discover', chaddr: mac(2) }), FROM_CLIENT, SECOND)
        .action,
    ).toBe('ignored');
    const c = new DhcpClient({ hardwareAddress: mac(1), entropy: new SeededEntropy(7) });
    exchange(server, c, 2 * SECOND);
    expect(c.lease?.address).toBe(ip('10.0.2.16'));
    c.release(3 * SECOND);
    const release = c.poll(3 * SECOND)!;
    expect(
      server.handle(release.payload, { address: release.source, port: 68 }, 3 * SECOND),
    ).toEqual({
      action: 'released',
      address: ip('10.0.2.16'),
    });
    exchange(server, b, 4 * SECOND);
    expect(b.lease?.address).toBe(ip('10.0.2.16'));
    // After the hold, the declined address is offered again.
    const late = replyOf(
      server.handle(
        request({ messageType: 'discover', chaddr: mac(8) }),
        FROM_CLIENT,
        101 * SECOND,
      ),
    );
    expect(late.repr.yiaddr).toBe(ip('10.0.2.15'));
  });

  it('answers INFORM with configuration but no address or lease (RFC 2131 §4.3.5)', () => {
    const server = new DhcpServer(OPTIONS);
    const { transmit, repr } = replyOf(
      server.handle(
        request({ messageType: 'inform', chaddr: mac(1), ciaddr: ip('10.0.2.50') }),
        { address: ip('10.0.2.50'), port: 68 },
        0,
      ),
    );
    expect(repr).toMatchObject({ messageType: 'ack', yiaddr: 0, ciaddr: ip('10.0.2.50') });
    expect(repr.leaseTime).toBeUndefined();
    expect(repr.dnsServers).toEqual([ip('10.0.2.3')]);
    expect(transmit.destination).toBe(ip('10.0.2.50'));
  });
});

describe('DhcpServer input hygiene', () => {
  it('ignores datagrams it must not answer, with a reason', () => {
    const server = new DhcpServer(OPTIONS);
    const discover = request({ messageType: 'discover', chaddr: mac(1) });
    expect(server.handle(discover, { address: 0, port: 1068 }, 0)).toEqual({
      action: 'ignored',
      reason: 'wrong-port',
    });
    expect(server.handle(discover.subarray(0, 200), FROM_CLIENT, 0)).toEqual({
      action: 'ignored',
      reason: 'truncated',
    });
    expect(
      server.handle(request({ messageType: 'offer', chaddr: mac(1) }), FROM_CLIENT, 0),
    ).toEqual({
      action: 'ignored',
      reason: 'unexpected',
    });
    expect(
      server.handle(request({ messageType: 'discover', chaddr: mac(1), op: 2 }), FROM_CLIENT, 0),
    ).toEqual({
      action: 'ignored',
      reason: 'not-request',
    });
    expect(
      server.handle(
        request({ messageType: 'discover', chaddr: mac(1), giaddr: ip('10.9.9.9') }),
        FROM_CLIENT,
        0,
      ),
    ).toEqual({
      action: 'ignored',
      reason: 'relayed',
    });
    expect(
      server.handle(
        request({ messageType: 'discover', chaddr: Uint8Array.of(1, 2, 3, 4) }),
        FROM_CLIENT,
        0,
      ),
    ).toEqual({
      action: 'ignored',
      reason: 'bad-chaddr',
    });
    expect(server.stats.received).toBe(6);
    expect(server.leases(0)).toEqual([]);
  });

  it('never throws and never leases beyond the pool for arbitrary bytes', () => {
    const server = new DhcpServer(OPTIONS);
    const valid = request({ messageType: 'discover', chaddr: mac(1) });
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 600 }),
          fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })).map(([at, v]) => {
            const copy = valid.slice();
            copy[at] = v;
            return copy;
          }),
        ),
        (bytes) => {
          const outcome = server.handle(bytes, FROM_CLIENT, 0);
          if ('reply' in outcome && outcome.address !== 0) {
            expect(outcome.address).toBeGreaterThanOrEqual(ip('10.0.2.15'));
            expect(outcome.address).toBeLessThan(ip('10.0.2.19'));
          }
        },
      ),
      { numRuns: 500 },
    );
    expect(server.leases(0).length).toBeLessThanOrEqual(4);
  });

  it('rejects a pool outside the subnet or containing the server', () => {
    expect(() => new DhcpServer({ ...OPTIONS, poolStart: '10.0.3.1' })).toThrow(/pool/);
    expect(() => new DhcpServer({ ...OPTIONS, poolStart: '10.0.2.1', poolSize: 4 })).toThrow(
      /pool/,
    );
    expect(() => new DhcpServer({ ...OPTIONS, poolStart: '10.0.2.250', poolSize: 10 })).toThrow(
      /pool/,
    );
    expect(() => new DhcpServer({ ...OPTIONS, serverAddress: 'nope' })).toThrow(/serverAddress/);
  });
});
