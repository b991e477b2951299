/**
 * Barrel of the dns layer: the DNS message codec (RFC 1035, RFC 3596) and the sans-IO
 * stub resolver.
 */
export type {
  DnsAAnswer,
  DnsAaaaAnswer,
  DnsAddress,
  DnsAnswer,
  DnsAnswerFor,
  DnsAnswerOf,
  DnsQueryType,
} from './dns-answer.js';
export { DnsError, type DnsErrorCode } from './dns-error.js';
export {
  type DnsNameIssue,
  type DnsNameRead,
  dnsNameKey,
  encodeDnsName,
  readDnsName,
} from './dns-name.js';
export {
  DNS_CLASS_IN,
  DNS_HEADER_LENGTH,
  DNS_PORT,
  DnsPacket,
  DnsRcode,
  DnsType,
} from './dns-packet.js';
export {
  type DnsParseIssue,
  type DnsParseOptions,
  type DnsQuestion,
  type DnsRecord,
  type DnsRecordData,
  type DnsRepr,
  emitDnsRepr,
  parseDnsRepr,
} from './dns-repr.js';
export {
  type DnsIgnoreReason,
  DnsResolver,
  type DnsResolverOptions,
  type DnsResolverStats,
} from './dns-resolver.js';
