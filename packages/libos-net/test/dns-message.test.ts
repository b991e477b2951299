import {
  DnsPacket,
  type DnsRepr,
  DnsType,
  emitDnsRepr,
  encodeDnsName,
  parseDnsRepr,
  readDnsName,
} from '@libos/net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

function hex(...groups: string[]): number[] {
  return groups.flatMap((g) =>
    g
      .trim()
      .split(/\s+/)
      .filter((s) => s.length > 0)
      .map((b) => Number.parseInt(b, 16)),
  );
}
const ascii = (s: string): number[] => [...s].map((c) => c.charCodeAt(0));

// www.example.com A? — a query as `dig +norecurse`-less stub resolvers send it (RD set).
const QUERY = Uint8Array.from([
  ...hex('12 34'), // ID
  ...hex('01 00'), // flags: QR=0 opcode=0 RD=1
  ...hex('00 01 00 00 00 00 00 00'), // QDCOUNT 1, AN/NS/AR 0
  3,
  ...ascii('www'),
  7,
  ...ascii('example'),
  3,
  ...ascii('com'),
  0, // QNAME
  ...hex('00 01 00 01'), // QTYPE A, QCLASS IN
]);
const QUERY_REPR: DnsRepr = {
  id: 0x1234,
  response: false,
  opcode: 0,
  authoritative: false,
  truncated: false,
  recursionDesired: true,
  recursionAvailable: false,
  rcode: 0,
  questions: [{ name: 'www.example.com', type: DnsType.A, class: 1 }],
  answers: [],
  authorities: [],
  additionals: [],
};

// The response of a recursive server, compressed as servers send it:
// www.example.com CNAME example.com; example.com A 93.184.215.14.
const RESPONSE = Uint8Array.from([
  ...hex('12 34'), // ID
  ...hex('81 80'), // QR=1 opcode=0 RD=1 RA=1 rcode NOERROR
  ...hex('00 01 00 02 00 00 00 00'), // QD 1, AN 2
  3,
  ...ascii('www'),
  7,
  ...ascii('example'),
  3,
  ...ascii('com'),
  0, // QNAME at offset 12
  ...hex('00 01 00 01'), // A, IN
  ...hex('c0 0c'), // owner: pointer to offset 12 (www.example.com)
  ...hex('00 05 00 01'), // CNAME, IN
  ...hex('00 00 0e 10'), // TTL 3600
  ...hex('00 02'), // RDLENGTH 2
  ...hex('c0 10'), // target: pointer to offset 16 (example.com)
  ...hex('c0 10'), // owner example.com
  ...hex('00 01 00 01'), // A, IN
  ...hex('00 00 01 2c'), // TTL 300
  ...hex('00 04'), // RDLENGTH 4
  ...hex('5d b8 d7 0e'), // 93.184.215.14
]);
const RESPONSE_REPR: DnsRepr = {
  id: 0x1234,
  response: true,
  opcode: 0,
  authoritative: false,
  truncated: false,
  recursionDesired: true,
  recursionAvailable: true,
  rcode: 0,
  questions: [{ name: 'www.example.com', type: DnsType.A, class: 1 }],
  answers: [
    {
      name: 'www.example.com',
      class: 1,
      ttl: 3600,
      data: { type: 'CNAME', target: 'example.com' },
    },
    { name: 'example.com', class: 1, ttl: 300, data: { type: 'A', address: 0x5db8d70e } },
  ],
  authorities: [],
  additionals: [],
};
// The same response as this codec emits it: no compression.
const RESPONSE_UNCOMPRESSED = Uint8Array.from([
  ...RESPONSE.subarray(0, 33), // header + question
  3,
  ...ascii('www'),
  7,
  ...ascii('example'),
  3,
  ...ascii('com'),
  0,
  ...hex('00 05 00 01 00 00 0e 10 00 0d'), // CNAME IN 3600, RDLENGTH 13
  7,
  ...ascii('example'),
  3,
  ...ascii('com'),
  0,
  7,
  ...ascii('example'),
  3,
  ...ascii('com'),
  0,
  ...hex('00 01 00 01 00 00 01 2c 00 04 5d b8 d7 0e'),
]);

// example.com AAAA 2606:2800:21f:cb07:6820:80da:af6b:8b2c, authoritative.
const AAAA_ADDRESS = hex('26 06 28 00 02 1f cb 07 68 20 80 da af 6b 8b 2c');
const AAAA_RESPONSE = Uint8Array.from([
  ...hex('ab cd 85 00'), // ID, QR AA RD, NOERROR
  ...hex('00 01 00 01 00 00 00 00'),
  7,
  ...ascii('example'),
  3,
  ...ascii('com'),
  0,
  ...hex('00 1c 00 01'), // AAAA, IN
  ...hex('c0 0c 00 1c 00 01 00 00 00 3c 00 10'), // owner ptr, AAAA, IN, TTL 60, RDLENGTH 16
  ...AAAA_ADDRESS,
]);
const AAAA_REPR: DnsRepr = {
  id: 0xabcd,
  response: true,
  opcode: 0,
  authoritative: true,
  truncated: false,
  recursionDesired: true,
  recursionAvailable: false,
  rcode: 0,
  questions: [{ name: 'example.com', type: DnsType.AAAA, class: 1 }],
  answers: [
    {
      name: 'example.com',
      class: 1,
      ttl: 60,
      data: { type: 'AAAA', address: Uint8Array.from(AAAA_ADDRESS) },
    },
  ],
  authorities: [],
  additionals: [],
};
const AAAA_UNCOMPRESSED = Uint8Array.from([
  ...AAAA_RESPONSE.subarray(0, 29),
  7,
  ...ascii('example'),
  3,
  ...ascii('com'),
  0,
  ...hex('00 1c 00 01 00 00 00 3c 00 10'),
  ...AAAA_ADDRESS,
]);

const CASES = [
  { name: 'A query', bytes: QUERY, repr: QUERY_REPR, emitted: QUERY },
  {
    name: 'A response with CNAME',
    bytes: RESPONSE,
    repr: RESPONSE_REPR,
    emitted: RESPONSE_UNCOMPRESSED,
  },
  { name: 'AAAA response', bytes: AAAA_RESPONSE, repr: AAAA_REPR, emitted: AAAA_UNCOMPRESSED },
];

describe.each(CASES)('DNS $name', ({ bytes, repr, emitted }) => {
  it('deconstruct: the header view reads every field', () => {
    const packet = DnsPacket.newChecked(bytes);
    if (typeof packet === 'string') throw new Error(packet);
    expect(packet.id).toBe(repr.id);
    expect(packet.response).toBe(repr.response);
    expect(packet.opcode).toBe(0);
    expect(packet.authoritative).toBe(repr.authoritative);
    expect(packet.truncated).toBe(false);
    expect(packet.recursionDesired).toBe(repr.recursionDesired);
    expect(packet.recursionAvailable).toBe(repr.recursionAvailable);
    expect(packet.rcode).toBe(0);
    expect(packet.questionCount).toBe(1);
    expect(packet.answerCount).toBe(repr.answers.length);
    expect(packet.authorityCount).toBe(0);
    expect(packet.additionalCount).toBe(0);
  });

  it('construct: the header setters write the same header', () => {
    const header = new Uint8Array(12);
    const packet = new DnsPacket(header);
    packet.id = repr.id;
    packet.response = repr.response;
    packet.opcode = 0;
    packet.authoritative = repr.authoritative;
    packet.truncated = false;
    packet.recursionDesired = repr.recursionDesired;
    packet.recursionAvailable = repr.recursionAvailable;
    packet.rcode = 0;
    packet.questionCount = 1;
    packet.answerCount = repr.answers.length;
    packet.authorityCount = 0;
    packet.additionalCount = 0;
    expect([...header]).toEqual([...bytes.subarray(0, 12)]);
  });

  it('parse: decompresses names and decodes records', () => {
    expect(parseDnsRepr(bytes)).toEqual(repr);
  });

  it('emit: encodes without compression', () => {
    expect([...emitDnsRepr(repr)]).toEqual([...emitted]);
    expect(parseDnsRepr(emitted)).toEqual(repr);
  });
});

describe('DNS names', () => {
  it('rejects pointer loops, forward pointers and reserved label types', () => {
    // A pointer to itself at offset 12.
    const self = Uint8Array.from([...new Array<number>(12).fill(0), 0xc0, 12]);
    expect(readDnsName(self, 12)).toBe('bad-name');
    // A label followed by a pointer back to that label: a two-step loop.
    const loop = Uint8Array.from([...new Array<number>(12).fill(0), 1, 0x61, 0xc0, 12]);
    expect(readDnsName(loop, 12)).toBe('bad-name');
    // Two pointers pointing at each other.
    const pair = Uint8Array.from([0xc0, 2, 0xc0, 0]);
    expect(readDnsName(pair, 2)).toBe('bad-name');
    expect(readDnsName(Uint8Array.from([0xc0, 5, 0, 0, 0, 0]), 0)).toBe('bad-name'); // forward
    expect(readDnsName(Uint8Array.from([0x40, 0]), 0)).toBe('bad-name'); // extended label
    expect(readDnsName(Uint8Array.from([0x80, 0]), 0)).toBe('bad-name');
    expect(readDnsName(Uint8Array.from([3, 0x61, 0x62]), 0)).toBe('truncated');
    expect(readDnsName(Uint8Array.from([0xc0]), 0)).toBe('truncated');
  });

  it('bounds the decompressed length at 255 octets', () => {
    // 4 labels of 63 octets = 256 octets with the root: too long.
    const bytes: number[] = [];
    for (let i = 0; i < 4; i++) bytes.push(63, ...new Array<number>(63).fill(0x61));
    bytes.push(0);
    expect(readDnsName(Uint8Array.from(bytes), 0)).toBe('bad-name');
    const ok = bytes.slice(64); // 3 labels: 193 octets
    expect(readDnsName(Uint8Array.from(ok), 0)).toMatchObject({ end: ok.length });
  });

  it('escapes special label bytes and round-trips them', () => {
    const bytes = Uint8Array.from([3, 0x61, 0x2e, 0x00, 2, 0x5c, 0xff, 0]);
    const read = readDnsName(bytes, 0);
    if (typeof read === 'string') throw new Error(read);
    expect(read.name).toBe('a\\046\\000.\\092\\255');
    expect([...encodeDnsName(read.name)]).toEqual([...bytes]);
  });

  it('rejects invalid names when encoding', () => {
    for (const bad of [
      'a..b',
      '.a',
      'x'.repeat(64),
      `${'a'.repeat(63)}.`.repeat(4),
      'ü.de',
      'a\\',
    ]) {
      expect(() => encodeDnsName(bad)).toThrow(expect.objectContaining({ code: 'EBADNAME' }));
    }
    expect([...encodeDnsName('example.com.')]).toEqual([...encodeDnsName('example.com')]);
    expect([...encodeDnsName('.')]).toEqual([0]);
  });
});

describe('DNS parser on untrusted input', () => {
  it('rejects truncated messages and bad RDATA lengths', () => {
    expect(parseDnsRepr(RESPONSE.subarray(0, 11))).toBe('truncated');
    expect(parseDnsRepr(RESPONSE.subarray(0, RESPONSE.length - 1))).toBe('truncated');
    const badA = RESPONSE.slice();
    badA[badA.length - 5] = 3; // A RDLENGTH 3
    expect(parseDnsRepr(badA)).toBe('bad-rdata');
    const partial = parseDnsRepr(RESPONSE.subarray(0, RESPONSE.length - 1), { partial: true });
    expect(partial).toMatchObject({
      incompleteSection: 'answers',
      answers: [RESPONSE_REPR.answers[0]],
    });
  });

  it('never throws on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.boolean(), (bytes, partial) => {
        parseDnsRepr(bytes, { partial });
      }),
      { numRuns: 3000 },
    );
  });

  it('terminates on random compression pointers', () => {
    const pointerHeavy = fc.array(
      fc.oneof(fc.constant(0xc0), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 5 })),
      { maxLength: 200 },
    );
    fc.assert(
      fc.property(pointerHeavy, fc.nat(199), (bytes, start) => {
        const result = readDnsName(Uint8Array.from(bytes), start);
        if (typeof result !== 'string') {
          expect(result.end).toBeGreaterThan(start);
          expect(result.end).toBeLessThanOrEqual(bytes.length);
        }
      }),
      { numRuns: 5000 },
    );
  });

  it('never throws on mutated real responses, and re-parses what it emits', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(RESPONSE, AAAA_RESPONSE, QUERY),
        fc.array(fc.tuple(fc.nat(80), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
        (base, edits) => {
          const bytes = base.slice();
          for (const [at, value] of edits) if (at < bytes.length) bytes[at] = value;
          const repr = parseDnsRepr(bytes);
          if (typeof repr === 'string') return;
          let emitted: Uint8Array;
          try {
            emitted = emitDnsRepr({ ...repr, opcode: repr.opcode, rcode: repr.rcode });
          } catch (e) {
            // Labels decoded from hostile bytes can exceed what the encoder accepts only
            // through its typed error.
            expect(e).toMatchObject({ code: 'EBADNAME' });
            return;
          }
          const again = parseDnsRepr(emitted);
          if (typeof again === 'string') throw new Error(again);
          expect(again.answers).toEqual(repr.answers);
          expect(again.questions).toEqual(repr.questions);
        },
      ),
      { numRuns: 3000 },
    );
  });
});
