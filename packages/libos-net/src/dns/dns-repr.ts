/**
 * A DNS message as a plain value ({@link DnsRepr}): a checked parser for untrusted
 * responses (names decompressed) and an uncompressed emitter (RFC 1035 §4.1).
 */

import { readU16, readU32, writeU16, writeU32 } from '../wire/bytes.js';
import { DnsError } from './dns-error.js';
import { encodeDnsName, readDnsName } from './dns-name.js';
import { DNS_HEADER_LENGTH, DnsPacket, DnsType } from './dns-packet.js';

/**
 * A question (RFC 1035 §4.1.2).
 *
 * @example
 * ```ts
 * import { DNS_CLASS_IN, DnsType, type DnsQuestion } from '@libos/net';
 * const q: DnsQuestion = { name: 'www.example.com', type: DnsType.A, class: DNS_CLASS_IN };
 * ```
 */
export interface DnsQuestion {
  /** QNAME, presentation form without the trailing dot. */
  readonly name: string;
  /** QTYPE (see {@link DnsType}). */
  readonly type: number;
  /** QCLASS (1 = IN). */
  readonly class: number;
}

/**
 * The RDATA of a record, decoded for A, AAAA, CNAME and SOA; raw for other types.
 *
 * @example
 * ```ts
 * import type { DnsRecordData } from '@libos/net';
 * const a: DnsRecordData = { type: 'A', address: 0x5db8d70e }; // 93.184.215.14
 * ```
 */
export type DnsRecordData =
  | {
      /** RFC 1035 §3.4.1. */
      readonly type: 'A';
      /** The IPv4 address (uint32). */
      readonly address: number;
    }
  | {
      /** RFC 3596 §2.2. */
      readonly type: 'AAAA';
      /** The IPv6 address (16 bytes). */
      readonly address: Uint8Array;
    }
  | {
      /** RFC 1035 §3.3.1. */
      readonly type: 'CNAME';
      /** The canonical name the owner is an alias of. */
      readonly target: string;
    }
  | {
      /** RFC 1035 §3.3.13. */
      readonly type: 'SOA';
      /** Primary name server of the zone. */
      readonly mname: string;
      /** Mailbox of the person responsible. */
      readonly rname: string;
      /** Zone serial number. */
      readonly serial: number;
      /** Refresh interval (s). */
      readonly refresh: number;
      /** Retry interval (s). */
      readonly retry: number;
      /** Expire limit (s). */
      readonly expire: number;
      /** MINIMUM: the negative-caching TTL (RFC 2308 §4). */
      readonly minimum: number;
    }
  | {
      /** Any other record type: RDATA kept as bytes. */
      readonly type: 'other';
      /** The TYPE value. */
      readonly code: number;
      /** The raw RDATA (names inside it are not decompressed). */
      readonly rdata: Uint8Array;
    };

/**
 * A resource record (RFC 1035 §4.1.3).
 *
 * @example
 * ```ts
 * import type { DnsRecord } from '@libos/net';
 * const r: DnsRecord = { name: 'example.com', class: 1, ttl: 300, data: { type: 'A', address: 0x5db8d70e } };
 * ```
 */
export interface DnsRecord {
  /** Owner name. */
  readonly name: string;
  /** CLASS (1 = IN). */
  readonly class: number;
  /** TTL in seconds as on the wire (RFC 2181 §8: values ≥ 2^31 mean 0; callers apply it). */
  readonly ttl: number;
  /** The decoded RDATA. */
  readonly data: DnsRecordData;
}

/**
 * A DNS message. Z, AD and CD bits are not represented (emitted as 0).
 *
 * @example
 * ```ts
 * import { DnsType, type DnsRepr } from '@libos/net';
 * const query: DnsRepr = {
 *   id: 0x1234, response: false, opcode: 0, authoritative: false, truncated: false,
 *   recursionDesired: true, recursionAvailable: false, rcode: 0,
 *   questions: [{ name: 'www.example.com', type: DnsType.A, class: 1 }],
 *   answers: [], authorities: [], additionals: [],
 * };
 * ```
 */
export interface DnsRepr {
  /** Query identifier. */
  readonly id: number;
  /** QR. */
  readonly response: boolean;
  /** Opcode (0 = QUERY). */
  readonly opcode: number;
  /** AA. */
  readonly authoritative: boolean;
  /** TC. */
  readonly truncated: boolean;
  /** RD. */
  readonly recursionDesired: boolean;
  /** RA. */
  readonly recursionAvailable: boolean;
  /** RCODE (see {@link DnsRcode}). */
  readonly rcode: number;
  /** Question section. */
  readonly questions: readonly DnsQuestion[];
  /** Answer section. */
  readonly answers: readonly DnsRecord[];
  /** Authority section. */
  readonly authorities: readonly DnsRecord[];
  /** Additional section. */
  readonly additionals: readonly DnsRecord[];
  /**
   * Set only by a `partial` parse: the first section cut short (its records up to the
   * cut are kept, later sections are empty).
   */
  readonly incompleteSection?: 'answers' | 'authorities' | 'additionals';
}

/**
 * Why {@link parseDnsRepr} rejected a message: it ends inside a field (`truncated`),
 * a name is malformed (`bad-name`), or RDATA does not match its type's length
 * (`bad-rdata`).
 *
 * @example
 * ```ts
 * import type { DnsParseIssue } from '@libos/net';
 * const issue: DnsParseIssue = 'bad-rdata';
 * ```
 */
export type DnsParseIssue = 'truncated' | 'bad-name' | 'bad-rdata';

/**
 * Options of {@link parseDnsRepr}.
 *
 * @example
 * ```ts
 * import { parseDnsRepr } from '@libos/net';
 * parseDnsRepr(payload, { partial: true });
 * ```
 */
export interface DnsParseOptions {
  /**
   * Keep the records read before the first malformed or missing record after the
   * question section, marking {@link DnsRepr.incompleteSection} (for TC responses),
   * instead of rejecting the message.
   */
  readonly partial?: boolean;
}

interface Cursor {
  pos: number;
}

function readRecord(bytes: Uint8Array, at: Cursor): DnsRecord | DnsParseIssue {
  const owner = readDnsName(bytes, at.pos);
  if (typeof owner === 'string') return owner;
  let pos = owner.end;
  // RFC 1035 §4.1.3: TYPE, CLASS, TTL, RDLENGTH, RDATA.
  if (pos + 10 > bytes.length) return 'truncated';
  const type = readU16(bytes, pos);
  const rrClass = readU16(bytes, pos + 2);
  const ttl = readU32(bytes, pos + 4);
  const rdlength = readU16(bytes, pos + 8);
  pos += 10;
  const rdEnd = pos + rdlength;
  if (rdEnd > bytes.length) return 'truncated';
  let data: DnsRecordData;
  switch (type) {
    case DnsType.A:
      if (rdlength !== 4) return 'bad-rdata';
      data = { type: 'A', address: readU32(bytes, pos) };
      break;
    case DnsType.AAAA:
      if (rdlength !== 16) return 'bad-rdata';
      data = { type: 'AAAA', address: bytes.slice(pos, rdEnd) };
      break;
    case DnsType.CNAME: {
      const target = readDnsName(bytes, pos);
      if (typeof target === 'string') return target === 'truncated' ? 'bad-rdata' : target;
      if (target.end !== rdEnd) return 'bad-rdata';
      data = { type: 'CNAME', target: target.name };
      break;
    }
    case DnsType.SOA: {
      const mname = readDnsName(bytes, pos);
      if (typeof mname === 'string') return mname === 'truncated' ? 'bad-rdata' : mname;
      const rname = readDnsName(bytes, mname.end);
      if (typeof rname === 'string') return rname === 'truncated' ? 'bad-rdata' : rname;
      const p = rname.end;
      if (p + 20 !== rdEnd) return 'bad-rdata';
      data = {
        type: 'SOA',
        mname: mname.name,
        rname: rname.name,
        serial: readU32(bytes, p),
        refresh: readU32(bytes, p + 4),
        retry: readU32(bytes, p + 8),
        expire: readU32(bytes, p + 12),
        minimum: readU32(bytes, p + 16),
      };
      break;
    }
    default:
      data = { type: 'other', code: type, rdata: bytes.slice(pos, rdEnd) };
  }
  at.pos = rdEnd;
  return { name: owner.name, class: rrClass, ttl, data };
}

/**
 * Parses an untrusted DNS message. Compressed names are followed with loop and
 * bounds protection ({@link readDnsName}); bytes after the last counted record are
 * ignored.
 *
 * @param bytes The UDP payload.
 * @param options `partial` keeps what precedes a cut-off record section.
 * @returns the message, or why it was rejected.
 * @example
 * ```ts
 * import { parseDnsRepr } from '@libos/net';
 * const repr = parseDnsRepr(payload);
 * if (typeof repr !== 'string') for (const r of repr.answers) console.log(r.name, r.data.type);
 * ```
 */
export function parseDnsRepr(
  bytes: Uint8Array,
  options: DnsParseOptions = {},
): DnsRepr | DnsParseIssue {
  const packet = DnsPacket.newChecked(bytes);
  if (typeof packet === 'string') return packet;
  const at: Cursor = { pos: DNS_HEADER_LENGTH };
  const questions: DnsQuestion[] = [];
  for (let i = 0; i < packet.questionCount; i++) {
    const name = readDnsName(bytes, at.pos);
    if (typeof name === 'string') return name;
    if (name.end + 4 > bytes.length) return 'truncated';
    questions.push({
      name: name.name,
      type: readU16(bytes, name.end),
      class: readU16(bytes, name.end + 2),
    });
    at.pos = name.end + 4;
  }
  const sections: [DnsRecord[], DnsRecord[], DnsRecord[]] = [[], [], []];
  const counts = [packet.answerCount, packet.authorityCount, packet.additionalCount];
  const names = ['answers', 'authorities', 'additionals'] as const;
  let incompleteSection: (typeof names)[number] | undefined;
  outer: for (let s = 0; s < 3; s++) {
    for (let i = 0; i < counts[s]!; i++) {
      const record = readRecord(bytes, at);
      if (typeof record === 'string') {
        if (!options.partial) return record;
        incompleteSection = names[s];
        break outer;
      }
      sections[s]!.push(record);
    }
  }
  return {
    id: packet.id,
    response: packet.response,
    opcode: packet.opcode,
    authoritative: packet.authoritative,
    truncated: packet.truncated,
    recursionDesired: packet.recursionDesired,
    recursionAvailable: packet.recursionAvailable,
    rcode: packet.rcode,
    questions,
    answers: sections[0],
    authorities: sections[1],
    additionals: sections[2],
    ...(incompleteSection === undefined ? {} : { incompleteSection }),
  };
}

const TYPE_CODE = { A: DnsType.A, AAAA: DnsType.AAAA, CNAME: DnsType.CNAME, SOA: DnsType.SOA };

/** The wire RDATA of a record (names uncompressed). */
function rdataBytes(data: DnsRecordData, owner: string): Uint8Array {
  switch (data.type) {
    case 'A': {
      const out = new Uint8Array(4);
      writeU32(out, 0, data.address);
      return out;
    }
    case 'AAAA':
      if (data.address.length !== 16) {
        throw new DnsError('EBADNAME', owner, 'an AAAA address has 16 bytes');
      }
      return data.address;
    case 'CNAME':
      return encodeDnsName(data.target);
    case 'SOA': {
      const m = encodeDnsName(data.mname);
      const r = encodeDnsName(data.rname);
      const out = new Uint8Array(m.length + r.length + 20);
      out.set(m, 0);
      out.set(r, m.length);
      const p = m.length + r.length;
      writeU32(out, p, data.serial);
      writeU32(out, p + 4, data.refresh);
      writeU32(out, p + 8, data.retry);
      writeU32(out, p + 12, data.expire);
      writeU32(out, p + 16, data.minimum);
      return out;
    }
    case 'other':
      return data.rdata;
  }
}

/**
 * Encodes `repr` without name compression into a new buffer (RFC 1035 §4.1). Used
 * for queries, and by tests to play a server.
 *
 * @throws {@link DnsError} `EBADNAME` if a name (or an AAAA address) is invalid.
 * @example
 * ```ts
 * import { emitDnsRepr } from '@libos/net';
 * const payload = emitDnsRepr(query);
 * ```
 */
export function emitDnsRepr(repr: DnsRepr): Uint8Array {
  const parts: Uint8Array[] = [];
  const header = new Uint8Array(DNS_HEADER_LENGTH);
  const packet = new DnsPacket(header);
  packet.id = repr.id;
  packet.response = repr.response;
  packet.opcode = repr.opcode;
  packet.authoritative = repr.authoritative;
  packet.truncated = repr.truncated;
  packet.recursionDesired = repr.recursionDesired;
  packet.recursionAvailable = repr.recursionAvailable;
  packet.rcode = repr.rcode;
  packet.questionCount = repr.questions.length;
  packet.answerCount = repr.answers.length;
  packet.authorityCount = repr.authorities.length;
  packet.additionalCount = repr.additionals.length;
  parts.push(header);
  for (const q of repr.questions) {
    parts.push(encodeDnsName(q.name));
    const tail = new Uint8Array(4);
    writeU16(tail, 0, q.type);
    writeU16(tail, 2, q.class);
    parts.push(tail);
  }
  for (const record of [...repr.answers, ...repr.authorities, ...repr.additionals]) {
    parts.push(encodeDnsName(record.name));
    const rdata = rdataBytes(record.data, record.name);
    const fixed = new Uint8Array(10);
    writeU16(
      fixed,
      0,
      record.data.type === 'other' ? record.data.code : TYPE_CODE[record.data.type],
    );
    writeU16(fixed, 2, record.class);
    writeU32(fixed, 4, record.ttl);
    writeU16(fixed, 8, rdata.length);
    parts.push(fixed, rdata);
  }
  let length = 0;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
