import {
  DnsError,
  type DnsRecord,
  type DnsRepr,
  DnsResolver,
  type DnsResolverOptions,
  emitDnsRepr,
  parseDnsRepr,
  type UdpTransmit,
} from '@libos/net';
import { SeededEntropy } from '@libos/sched';
import { describe, expect, it } from 'vitest';

const S = 1_000_000;
const ip = (a: number, b: number, c: number, d: number): number =>
  ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
const NS1 = ip(10, 0, 2, 3);
const NS2 = ip(192, 168, 1, 1);
const V6 = Uint8Array.from([0x20, 0x01, 0x0d, 0xb8, ...new Array<number>(11).fill(0), 1]);

const a = (name: string, address: number, ttl = 300): DnsRecord => ({
  name,
  class: 1,
  ttl,
  data: { type: 'A', address },
});
const cname = (name: string, target: string, ttl = 3600): DnsRecord => ({
  name,
  class: 1,
  ttl,
  data: { type: 'CNAME', target },
});
const soa = (ttl: number, minimum: number): DnsRecord => ({
  name: 'example.com',
  class: 1,
  ttl,
  data: {
    type: 'SOA',
    mname: 'ns.example.com',
    rname: 'hostmaster.example.com',
    serial: 1,
    refresh: 7200,
    retry: 900,
    expire: 1209600,
    minimum,
  },
});

function query(t: UdpTransmit): DnsRepr {
  const repr = parseDnsRepr(t.payload);
  if (typeof repr === 'string') throw new Error(repr);
  return repr;
}

/** A response to query `q` (echoing ID and question) with the given sections. */
function respond(q: DnsRepr, parts: Partial<DnsRepr> = {}): Uint8Array {
  return emitDnsRepr({ ...q, response: true, recursionAvailable: true, ...parts });
}

function setup(options: Partial<DnsResolverOptions> = {}) {
  const resolver = new DnsResolver({ entropy: new SeededEntropy(7), servers: [NS1], ...options });
  let now = 0;
  const sent: Array<{ at: number; t: UdpTransmit; q: DnsRepr }> = [];
  /** Polls at `now`, collecting what the resolver sends. */
  const pump = (): Array<{ at: number; t: UdpTransmit; q: DnsRepr }> => {
    const out: Array<{ at: number; t: UdpTransmit; q: DnsRepr }> = [];
    for (let t = resolver.poll(now); t; t = resolver.poll(now)) {
      const entry = { at: now, t, q: query(t) };
      sent.push(entry);
      out.push(entry);
    }
    return out;
  };
  /** Advances virtual time through each pollAt up to `until`. */
  const advance = (until: number): void => {
    for (let i = 0; i < 1000; i++) {
      const next = resolver.pollAt();
      if (next === undefined || next > until) break;
      now = Math.max(now, next);
      pump();
    }
    now = until;
  };
  const reply = (
    entry: { t: UdpTransmit; q: DnsRepr },
    parts: Partial<DnsRepr>,
    from?: { address: number; port: number },
  ): void => {
    resolver.handle(
      respond(entry.q, parts),
      from ?? { address: entry.t.destination, port: 53 },
      entry.t.sourcePort,
      now,
    );
  };
  return { resolver, pump, advance, reply, sent, now: () => now, setNow: (t: number) => (now = t) };
}

/** Settles pending promise callbacks. */
const flush = (): Promise<void> => new Promise((r) => setTimeout(r, 0));

describe('DnsResolver lookups', () => {
  it('sends an RD query with a random ID and port and follows a CNAME to an A record', async () => {
    const { resolver, pump, reply } = setup();
    const pending = resolver.resolve('WWW.Example.com.', 'A', 0);
    const [first] = pump();
    expect(first!.t).toMatchObject({ destination: NS1, destinationPort: 53 });
    expect(first!.t.sourcePort).toBeGreaterThanOrEqual(49152);
    expect(first!.q).toMatchObject({
      response: false,
      recursionDesired: true,
      questions: [{ name: 'WWW.Example.com', type: 1, class: 1 }],
    });
    expect(resolver.ownsPort(first!.t.sourcePort)).toBe(true);
    reply(first!, {
      answers: [cname('www.example.com', 'example.com', 100), a('example.com', 0x5db8d70e, 300)],
    });
    const answer = await pending;
    expect(answer).toEqual({
      type: 'A',
      name: 'WWW.Example.com',
      canonicalName: 'example.com',
      cnameChain: ['example.com'],
      addresses: [{ address: 0x5db8d70e, ttl: 100 }],
      fromCache: false,
    });
    expect(resolver.pendingQueries).toBe(0);
    expect(resolver.ownsPort(first!.t.sourcePort)).toBe(false);
  });

  it('resolves AAAA records to 16-byte addresses', async () => {
    const { resolver, pump, reply } = setup();
    const pending = resolver.resolve('v6.example.com', 'AAAA', 0);
    const [q] = pump();
    expect(q!.q.questions[0]!.type).toBe(28);
    reply(q!, {
      answers: [
        a('v6.example.com', 1), // an A record in an AAAA answer is skipped
        { name: 'v6.example.com', class: 1, ttl: 60, data: { type: 'AAAA', address: V6 } },
      ],
    });
    const answer = await pending;
    expect(answer.type).toBe('AAAA');
    expect(answer.addresses.map((x) => [...x.address])).toEqual([[...V6]]);
  });

  it('shares one query among concurrent identical lookups', async () => {
    const { resolver, pump, reply } = setup();
    const p1 = resolver.resolve('example.com', 'A', 0);
    const p2 = resolver.resolve('EXAMPLE.com', 'A', 0);
    const p3 = resolver.resolve('example.com', 'AAAA', 0);
    const sent = pump();
    expect(sent.length).toBe(2);
    expect(resolver.stats.joined).toBe(1);
    reply(sent[0]!, { answers: [a('example.com', 42)] });
    reply(sent[1]!, {
      answers: [{ name: 'example.com', class: 1, ttl: 60, data: { type: 'AAAA', address: V6 } }],
    });
    expect((await p1).addresses[0]!.address).toBe(42);
    expect((await p2).addresses[0]!.address).toBe(42);
    expect((await p3).addresses.length).toBe(1);
  });

  it('rejects invalid names and lookups without servers', async () => {
    const { resolver } = setup({ servers: [] });
    await expect(resolver.resolve('a..b', 'A', 0)).rejects.toMatchObject({ code: 'EBADNAME' });
    await expect(resolver.resolve('.', 'A', 0)).rejects.toMatchObject({ code: 'EBADNAME' });
    await expect(resolver.resolve('example.com', 'A', 0)).rejects.toBeInstanceOf(DnsError);
    await expect(resolver.resolve('example.com', 'A', 0)).rejects.toMatchObject({
      code: 'ECONNREFUSED',
    });
  });
});

describe('DnsResolver retries', () => {
  it('times out after 1, 2, 4, 8 s rotating through the servers', async () => {
    const { resolver, advance, sent } = setup({ servers: [NS1, NS2] });
    const pending = resolver.resolve('slow.example.com', 'A', 0);
    const outcome = pending.then(
      () => 'resolved',
      (e: DnsError) => e,
    );
    advance(14 * S);
    await flush();
    expect(resolver.pendingQueries).toBe(1);
    advance(15 * S);
    const error = await outcome;
    expect(error).toMatchObject({ code: 'ETIMEOUT', hostname: 'slow.example.com' });
    expect(sent.map((s) => s.at / S)).toEqual([0, 1, 3, 7]);
    expect(sent.map((s) => s.t.destination)).toEqual([NS1, NS2, NS1, NS2]);
    expect(new Set(sent.map((s) => s.q.id)).size).toBe(4);
    expect(resolver.pollAt()).toBeUndefined();
  });

  it('caps the attempt timeout and accepts a late answer to an earlier attempt', async () => {
    const { resolver, advance, sent, reply } = setup({
      timeout: 2 * S,
      maxTimeout: 3 * S,
      attempts: 3,
    });
    const pending = resolver.resolve('late.example.com', 'A', 0);
    advance(5 * S);
    expect(sent.map((s) => s.at / S)).toEqual([0, 2, 5]);
    reply(sent[0]!, { answers: [a('late.example.com', 9)] });
    expect((await pending).addresses[0]!.address).toBe(9);
  });

  it('moves to the next server at once on SERVFAIL and reports the last rcode', async () => {
    const { resolver, pump, reply, sent } = setup({ servers: [NS1, NS2], attempts: 2 });
    const pending = resolver.resolve('broken.example.com', 'A', 0);
    const outcome = pending.catch((e: DnsError) => e);
    reply(pump()[0]!, { rcode: 2 });
    const [second] = pump();
    expect(second!.t.destination).toBe(NS2);
    expect(second!.at).toBe(0);
    reply(second!, { rcode: 5 });
    expect(await outcome).toMatchObject({ code: 'EREFUSED' });
    expect(sent.length).toBe(2);
  });

  it('answers from the next server after a SERVFAIL', async () => {
    const { resolver, pump, reply } = setup({ servers: [NS1, NS2] });
    const pending = resolver.resolve('flaky.example.com', 'A', 0);
    reply(pump()[0]!, { rcode: 2 });
    reply(pump()[0]!, { answers: [a('flaky.example.com', 5)] });
    expect((await pending).addresses[0]!.address).toBe(5);
  });
});

describe('DnsResolver cache', () => {
  it('serves answers from the cache until the smallest TTL expires', async () => {
    const { resolver, pump, reply, setNow } = setup();
    const first = resolver.resolve('www.example.com', 'A', 0);
    reply(pump()[0]!, {
      answers: [
        cname('www.example.com', 'example.com', 600),
        a('example.com', 1, 120),
        a('example.com', 2, 60),
      ],
    });
    await first;
    setNow(59 * S + 500_000);
    const cached = await resolver.resolve('www.example.com', 'A', 59 * S + 500_000);
    expect(cached.fromCache).toBe(true);
    expect(cached.addresses).toEqual([
      { address: 1, ttl: 61 },
      { address: 2, ttl: 1 },
    ]);
    expect(pump()).toEqual([]);
    expect(resolver.stats.cacheHits).toBe(1);
    setNow(60 * S);
    const again = resolver.resolve('www.example.com', 'A', 60 * S);
    expect(pump().length).toBe(1);
    expect(resolver.pendingQueries).toBe(1);
    void again.catch(() => undefined);
  });

  it('caches NXDOMAIN for min(SOA TTL, SOA MINIMUM) (RFC 2308 §5)', async () => {
    const { resolver, pump, reply } = setup();
    const first = resolver.resolve('nope.example.com', 'A', 0);
    reply(pump()[0]!, { rcode: 3, authorities: [soa(900, 30)] });
    await expect(first).rejects.toMatchObject({ code: 'ENOTFOUND', hostname: 'nope.example.com' });
    await expect(resolver.resolve('nope.example.com', 'A', 29 * S)).rejects.toMatchObject({
      code: 'ENOTFOUND',
    });
    expect(pump()).toEqual([]);
    void resolver.resolve('nope.example.com', 'A', 30 * S).catch(() => undefined);
    expect(resolver.pendingQueries).toBe(1);
  });

  it('caches NODATA as ENODATA, and does not cache negative answers without an SOA', async () => {
    const { resolver, pump, reply } = setup();
    const nodata = resolver.resolve('example.com', 'AAAA', 0);
    reply(pump()[0]!, { authorities: [soa(5, 3600)] });
    await expect(nodata).rejects.toMatchObject({ code: 'ENODATA' });
    await expect(resolver.resolve('example.com', 'AAAA', 4 * S)).rejects.toMatchObject({
      code: 'ENODATA',
    });
    const nxdomain = resolver.resolve('gone.example.com', 'A', 0);
    reply(pump()[0]!, { rcode: 3 });
    await expect(nxdomain).rejects.toMatchObject({ code: 'ENOTFOUND' });
    void resolver.resolve('gone.example.com', 'A', 0).catch(() => undefined);
    expect(pump().length).toBe(1);
  });

  it('keeps at most cacheSize entries, evicting the least recently used', async () => {
    const { resolver, pump, reply } = setup({ cacheSize: 2 });
    for (const [i, name] of ['a.test', 'b.test', 'c.test'].entries()) {
      const p = resolver.resolve(name, 'A', 0);
      reply(pump()[0]!, { answers: [a(name, i)] });
      await p;
    }
    expect((await resolver.resolve('c.test', 'A', 0)).fromCache).toBe(true);
    expect((await resolver.resolve('b.test', 'A', 0)).fromCache).toBe(true);
    void resolver.resolve('a.test', 'A', 0);
    expect(pump().length).toBe(1);
  });
});

describe('DnsResolver on hostile or odd responses', () => {
  it('ignores responses with a wrong ID, port, server, or question, then accepts the real one', async () => {
    const { resolver, pump, reply } = setup();
    const pending = resolver.resolve('www.example.com', 'A', 0);
    const [q] = pump();
    const good = { answers: [a('www.example.com', 77)] };
    resolver.handle(
      respond({ ...q!.q, id: (q!.q.id + 1) & 0xffff }, good),
      { address: NS1, port: 53 },
      q!.t.sourcePort,
      0,
    );
    resolver.handle(respond(q!.q, good), { address: NS1, port: 53 }, q!.t.sourcePort ^ 1, 0);
    reply(q!, good, { address: NS2, port: 53 });
    reply(q!, good, { address: NS1, port: 5353 });
    resolver.handle(
      respond({ ...q!.q, questions: [{ name: 'evil.example.com', type: 1, class: 1 }] }, good),
      { address: NS1, port: 53 },
      q!.t.sourcePort,
      0,
    );
    resolver.handle(emitDnsRepr({ ...q!.q }), { address: NS1, port: 53 }, q!.t.sourcePort, 0);
    resolver.handle(Uint8Array.of(1, 2, 3), { address: NS1, port: 53 }, q!.t.sourcePort, 0);
    expect(resolver.stats.ignored).toEqual({
      'unknown-id': 2,
      'wrong-source': 2,
      'question-mismatch': 1,
      'not-response': 1,
      malformed: 1,
    });
    expect(resolver.pendingQueries).toBe(1);
    reply(q!, good);
    expect((await pending).addresses[0]!.address).toBe(77);
  });

  it('rejects CNAME loops and over-long chains with EBADRESP', async () => {
    const { resolver, pump, reply } = setup({ maxCnameChain: 3 });
    const loop = resolver.resolve('a.test', 'A', 0);
    reply(pump()[0]!, { answers: [cname('a.test', 'b.test'), cname('b.test', 'A.TEST')] });
    await expect(loop).rejects.toMatchObject({
      code: 'EBADRESP',
      message: expect.stringMatching(/loop/),
    });
    const long = resolver.resolve('c1.test', 'A', 0);
    reply(pump()[0]!, {
      answers: [
        cname('c1.test', 'c2.test'),
        cname('c2.test', 'c3.test'),
        cname('c3.test', 'c4.test'),
        cname('c4.test', 'c5.test'),
        a('c5.test', 1),
      ],
    });
    await expect(long).rejects.toMatchObject({
      code: 'EBADRESP',
      message: expect.stringMatching(/too long/),
    });
    const ok = resolver.resolve('d1.test', 'A', 0);
    reply(pump()[0]!, {
      answers: [
        a('d4.test', 4),
        cname('d3.test', 'd4.test'),
        cname('d2.test', 'd3.test'),
        cname('d1.test', 'd2.test'),
      ],
    });
    expect(await ok).toMatchObject({
      canonicalName: 'd4.test',
      cnameChain: ['d2.test', 'd3.test', 'd4.test'],
    });
  });

  it('uses a truncated response whose answer section is complete', async () => {
    const { resolver, pump, reply } = setup();
    const pending = resolver.resolve('big.example.com', 'A', 0);
    reply(pump()[0]!, {
      truncated: true,
      answers: [a('big.example.com', 1), a('big.example.com', 2)],
    });
    expect((await pending).addresses.map((x) => x.address)).toEqual([1, 2]);
  });

  it('rejects a truncated response cut inside the answer section with ETRUNCATED', async () => {
    const { resolver, pump } = setup();
    const pending = resolver.resolve('big.example.com', 'A', 0);
    const [q] = pump();
    const full = respond(q!.q, {
      truncated: true,
      answers: [a('big.example.com', 1), a('big.example.com', 2)],
    });
    // A server truncating at a record boundary but keeping ANCOUNT 2 (cut 16 bytes: the last A record).
    resolver.handle(
      full.subarray(0, full.length - 16),
      { address: NS1, port: 53 },
      q!.t.sourcePort,
      0,
    );
    await expect(pending).rejects.toMatchObject({ code: 'ETRUNCATED' });
    const empty = resolver.resolve('big2.example.com', 'A', 0);
    const [q2] = pump();
    resolver.handle(
      respond(q2!.q, { truncated: true }),
      { address: NS1, port: 53 },
      q2!.t.sourcePort,
      0,
    );
    await expect(empty).rejects.toMatchObject({ code: 'ETRUNCATED' });
  });

  it('treats a TTL with the top bit set as 0 (RFC 2181 §8): not cached', async () => {
    const { resolver, pump, reply } = setup();
    const p = resolver.resolve('zero.test', 'A', 0);
    reply(pump()[0]!, { answers: [a('zero.test', 3, 0x80000000)] });
    expect((await p).addresses[0]!.ttl).toBe(0);
    void resolver.resolve('zero.test', 'A', 0).catch(() => undefined);
    expect(pump().length).toBe(1);
  });
});
