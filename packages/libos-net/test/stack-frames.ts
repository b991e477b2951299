/** Builders of crafted frames for stack tests (built with the wire emitters). */
import {
  ArpOperation,
  EtherType,
  emitArpRepr,
  emitEthernetRepr,
  emitIcmpv4Repr,
  emitIpv4Repr,
  emitUdpRepr,
  type Icmpv4Repr,
  IpProtocol,
  icmpv4ReprLength,
  parseIpv4Address,
} from '@libos/net';

export const PEER_MAC = new Uint8Array([0x02, 0, 0, 0, 0, 0x99]);
export const BROADCAST = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);

export function ip(text: string): number {
  return parseIpv4Address(text);
}

export interface ArpSpec {
  readonly operation?: number;
  readonly senderMac?: Uint8Array;
  readonly sender: string;
  readonly targetMac?: Uint8Array;
  readonly target: string;
  readonly destinationMac?: Uint8Array;
}

export function arpFrame(spec: ArpSpec): Uint8Array {
  const frame = new Uint8Array(14 + 28);
  const senderMac = spec.senderMac ?? PEER_MAC;
  emitEthernetRepr(
    { destination: spec.destinationMac ?? BROADCAST, source: senderMac, etherType: EtherType.ARP },
    frame,
  );
  emitArpRepr(
    {
      operation: spec.operation ?? ArpOperation.Request,
      senderHardwareAddress: senderMac,
      senderProtocolAddress: ip(spec.sender),
      targetHardwareAddress: spec.targetMac ?? new Uint8Array(6),
      targetProtocolAddress: ip(spec.target),
    },
    frame.subarray(14),
  );
  return frame;
}

export interface Ipv4Spec {
  readonly source: string;
  readonly destination: string;
  readonly protocol: number;
  readonly payload: Uint8Array;
  readonly destinationMac: Uint8Array;
  readonly sourceMac?: Uint8Array;
  readonly identification?: number;
  readonly moreFragments?: boolean;
  readonly fragmentOffset?: number;
  readonly ttl?: number;
}

export function ipv4Frame(spec: Ipv4Spec): Uint8Array {
  const frame = new Uint8Array(14 + 20 + spec.payload.length);
  emitEthernetRepr(
    {
      destination: spec.destinationMac,
      source: spec.sourceMac ?? PEER_MAC,
      etherType: EtherType.IPv4,
    },
    frame,
  );
  emitIpv4Repr(
    {
      source: ip(spec.source),
      destination: ip(spec.destination),
      protocol: spec.protocol,
      payloadLength: spec.payload.length,
      ttl: spec.ttl ?? 64,
      identification: spec.identification ?? 1,
      moreFragments: spec.moreFragments ?? false,
      fragmentOffset: spec.fragmentOffset ?? 0,
    },
    frame.subarray(14),
  );
  frame.set(spec.payload, 34);
  return frame;
}

export function udpPayload(
  source: string,
  destination: string,
  sourcePort: number,
  destinationPort: number,
  data: Uint8Array,
): Uint8Array {
  const out = new Uint8Array(8 + data.length);
  out.set(data, 8);
  emitUdpRepr(
    { sourcePort, destinationPort, payloadLength: data.length },
    out,
    ip(source),
    ip(destination),
  );
  return out;
}

export function icmpPayload(repr: Icmpv4Repr): Uint8Array {
  const out = new Uint8Array(icmpv4ReprLength(repr));
  emitIcmpv4Repr(repr, out);
  return out;
}

export const UDP = IpProtocol.UDP;
export const ICMP = IpProtocol.ICMP;
