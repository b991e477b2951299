/**
 * One network interface of a {@link Stack}: a {@link NetDevice} with its IPv4 address,
 * ARP (RFC 826) with a bounded cache, packets waiting for address resolution, and a
 * bounded backlog for frames the device refused (back-pressure).
 *
 * ```text
 *  stack (IPv4 output) ──► sendIpv4(nextHop) ──► ARP cache hit? ──► transmitFrame ──► device
 *                                  │ miss                               ▲ refused
 *                                  ▼                                    │
 *                  pending[nextHop] (copied, bounded) ── reply ──► flush  backlog (copied, bounded)
 * ```
 */
import { ArpCache } from '../ipv4/arp-cache.js';
import { isBroadcastMac, isMulticastMac } from '../mac-address.js';
import type { NetDevice } from '../net-device.js';
import { ARP_PACKET_LENGTH, ArpOperation, ArpPacket, emitArpRepr } from '../wire/arp.js';
import {
  ETHERNET_HEADER_LENGTH,
  EthernetFrame,
  EtherType,
  emitEthernetRepr,
} from '../wire/ethernet.js';
import {
  IPV4_UNSPECIFIED,
  type Ipv4Address,
  ipv4SubnetBroadcast,
  isInIpv4Subnet,
  isIpv4Broadcast,
  isIpv4Multicast,
} from '../wire/ipv4-address.js';
import { countDrop, type StackStats } from './stack-stats.js';

/** Broadcast MAC, ff:ff:ff:ff:ff:ff. */
const BROADCAST_MAC = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
/** Target hardware address of an ARP request (RFC 826: ignored; conventionally zero). */
const ZERO_MAC = new Uint8Array(6);
/** RFC 1122 §2.3.2.1: at most one ARP request per second per destination. */
const ARP_RETRY_INTERVAL = 1_000_000;
/** Requests before a destination is declared unreachable (Linux: 3). */
const ARP_MAX_REQUESTS = 3;

/**
 * Limits of one interface's queues.
 *
 * @example
 * ```ts
 * import type { InterfaceLimits } from '@libos/net';
 * const small: InterfaceLimits = { pendingBytes: 16384, backlogFrames: 64, arpCacheEntries: 64 };
 * ```
 */
export interface InterfaceLimits {
  /** Bytes of IP packets held while their next hop is resolved. Default 64 KiB. */
  readonly pendingBytes?: number;
  /** Frames held after the device refused them. Default 256. */
  readonly backlogFrames?: number;
  /** ARP cache capacity. Default 256. */
  readonly arpCacheEntries?: number;
}

/**
 * What a {@link NetworkInterface} asks of the stack that owns it: counters, and upcalls
 * for received IPv4 packets, unresolvable next hops and address conflicts.
 * {@link Stack} implements it; a test can implement it to drive an interface alone.
 *
 * @example
 * ```ts
 * import type { InterfaceHost } from '@libos/net';
 * const host: InterfaceHost = {
 *   stats: createdStats,
 *   ipv4Input: (iface, packet) => console.log(iface.name, packet.length),
 *   unreachable: () => {},
 *   conflict: (_iface, address) => console.log('conflict', address),
 * };
 * ```
 */
export interface InterfaceHost {
  /** Counters the interface updates (Ethernet, ARP, IPv4 drops). */
  readonly stats: StackStats;
  /** An IPv4 packet (the Ethernet payload) arrived on `iface`. */
  ipv4Input(
    iface: NetworkInterface,
    packet: Uint8Array,
    checksumVerified: boolean,
    now: number,
  ): void;
  /** Packets to `nextHop` were dropped because it never answered ARP. */
  unreachable(iface: NetworkInterface, packet: Uint8Array, now: number): void;
  /** Another station uses `address` (an ARP conflict, RFC 5227 §2.1.1 / §2.4). */
  conflict(iface: NetworkInterface, address: Ipv4Address, now: number): void;
}

interface PendingResolution {
  readonly packets: Uint8Array[];
  requests: number;
  nextRequestAt: number;
}

/**
 * A configured IPv4 address of an interface.
 *
 * @example
 * ```ts
 * const config = stack.interfaces[0]!.ipv4;
 * if (config) console.log(formatIpv4Address(config.address), config.prefixLength);
 * ```
 */
export interface InterfaceAddress {
  /** The address. */
  readonly address: Ipv4Address;
  /** Prefix length of the attached subnet. */
  readonly prefixLength: number;
}

/**
 * An interface of a {@link Stack}. Created by the stack; its public members are for
 * inspection (address, MAC, counters of its device).
 *
 * @example
 * ```ts
 * for (const iface of stack.interfaces) console.log(iface.name, iface.ipv4);
 * ```
 */
export class NetworkInterface {
  /** The device it drives. */
  readonly device: NetDevice;
  /** Name, e.g. `eth0`. */
  readonly name: string;
  /** Position in {@link Stack.interfaces}. */
  readonly index: number;
  /** Current IPv4 address, if any. */
  ipv4: InterfaceAddress | undefined;
  /** The ARP cache (RFC 826), bounded. */
  readonly arpCache: ArpCache;
  readonly #host: InterfaceHost;
  readonly #pending = new Map<Ipv4Address, PendingResolution>();
  #pendingBytes = 0;
  readonly #pendingLimit: number;
  readonly #backlog: Uint8Array[] = [];
  readonly #backlogLimit: number;
  /** Address being probed before use (RFC 5227 §2.1), if any. */
  #probing: Ipv4Address | undefined;
  readonly #onFrame: (frame: Uint8Array, checksumVerified: boolean) => void;
  #now = 0;

  /** @internal Created by the stack. */
  constructor(
    host: InterfaceHost,
    device: NetDevice,
    index: number,
    name: string,
    limits: InterfaceLimits,
  ) {
    this.#host = host;
    this.device = device;
    this.index = index;
    this.name = name;
    this.ipv4 = undefined;
    this.arpCache = new ArpCache({ capacity: limits.arpCacheEntries ?? 256 });
    this.#pendingLimit = limits.pendingBytes ?? 65536;
    this.#backlogLimit = limits.backlogFrames ?? 256;
    this.#onFrame = (frame, verified) => this.#input(frame, verified);
  }

  /** The device's MAC address. */
  get macAddress(): Uint8Array {
    return this.device.macAddress;
  }

  /** Largest IP packet the link carries. */
  get mtu(): number {
    return this.device.capabilities.maxTransmitUnit;
  }

  /** Whether the backlog of refused frames is at its limit. */
  get congested(): boolean {
    return this.#backlog.length >= this.#backlogLimit;
  }

  /** Whether `address` is this interface's or its subnet's broadcast address. */
  isLocalBroadcast(address: Ipv4Address): boolean {
    if (isIpv4Broadcast(address)) return true;
    const config = this.ipv4;
    return (
      config !== undefined &&
      config.prefixLength < 31 &&
      address === ipv4SubnetBroadcast(config.address, config.prefixLength)
    );
  }

  /**
   * Receives up to `budget` frames from the device and flushes the backlog.
   * @returns Frames received.
   */
  receive(budget: number, now: number): number {
    this.#now = now;
    this.#flushBacklog();
    return this.device.receive(this.#onFrame, budget);
  }

  /** Sets or clears the address; announces a new one with a gratuitous ARP (RFC 5227 §2.3). */
  setAddress(config: InterfaceAddress | undefined, now: number): void {
    this.#now = now;
    this.ipv4 = config;
    this.#probing = undefined;
    if (config)
      this.#sendArp(ArpOperation.Request, config.address, BROADCAST_MAC, ZERO_MAC, config.address);
  }

  /** Sends an ARP probe for `address` (RFC 5227 §2.1.1): sender address 0. */
  probe(address: Ipv4Address, now: number): void {
    this.#now = now;
    this.#probing = address;
    this.#sendArp(ArpOperation.Request, IPV4_UNSPECIFIED, BROADCAST_MAC, ZERO_MAC, address);
  }

  /** Stops reporting conflicts for the probed address. */
  endProbe(): void {
    this.#probing = undefined;
  }

  /**
   * Sends an IPv4 packet of `length` bytes written by `write` to `nextHop` on this
   * link: straight into a device buffer when the next hop's MAC is known, else into a
   * pending copy while ARP resolves it.
   * @returns False when the packet was dropped (a full transmit backlog or ARP queue).
   */
  sendIpv4(
    nextHop: Ipv4Address,
    length: number,
    write: (packet: Uint8Array) => void,
    now: number,
  ): boolean {
    this.#now = now;
    const mac = this.#resolve(nextHop, now);
    if (mac) return this.transmitFrame(mac, EtherType.IPv4, length, write);
    const stats = this.#host.stats.ipv4;
    let entry = this.#pending.get(nextHop);
    // RFC 1122 §2.3.2.2: SHOULD keep the latest packets: make room by dropping the
    // oldest ones queued for the same next hop (Linux bounds this queue in bytes too).
    while (entry && entry.packets.length > 0 && this.#pendingBytes + length > this.#pendingLimit) {
      const dropped = entry.packets.shift()!;
      this.#pendingBytes -= dropped.length;
      countDrop(stats, 'arp-queue-full');
    }
    if (this.#pendingBytes + length > this.#pendingLimit) {
      countDrop(stats, 'arp-queue-full');
      return false;
    }
    const copy = new Uint8Array(length);
    write(copy);
    if (!entry) {
      entry = { packets: [], requests: 0, nextRequestAt: now };
      this.#pending.set(nextHop, entry);
    }
    entry.packets.push(copy);
    this.#pendingBytes += length;
    this.#requestResolution(nextHop, entry, now);
    return true;
  }

  /**
   * Sends one Ethernet frame with a payload of `length` bytes written by `write`.
   * Frames the device refuses are copied to the bounded backlog and retried on the next
   * poll, in order; beyond the backlog they are dropped and counted.
   * @returns False when the frame was dropped (backlog full).
   */
  transmitFrame(
    destination: Uint8Array,
    etherType: number,
    length: number,
    write: (payload: Uint8Array) => void,
  ): boolean {
    const stats = this.#host.stats.ethernet;
    const total = ETHERNET_HEADER_LENGTH + length;
    const source = this.device.macAddress;
    const fill = (frame: Uint8Array): void => {
      emitEthernetRepr({ destination, source, etherType }, frame);
      write(frame.subarray(ETHERNET_HEADER_LENGTH));
    };
    if (this.#backlog.length === 0 && this.device.transmit(total, fill)) {
      stats.sent++;
      return true;
    }
    if (this.#backlog.length >= this.#backlogLimit) {
      countDrop(stats, 'transmit-backlog-full');
      return false;
    }
    const copy = new Uint8Array(total);
    fill(copy);
    this.#backlog.push(copy);
    return true;
  }

  /** Retries ARP for unresolved next hops; gives up after three requests. */
  poll(now: number): void {
    this.#now = now;
    this.#flushBacklog();
    for (const [nextHop, entry] of this.#pending) {
      if (now < entry.nextRequestAt) continue;
      if (entry.requests >= ARP_MAX_REQUESTS) {
        this.#pending.delete(nextHop);
        for (const packet of entry.packets) {
          this.#pendingBytes -= packet.length;
          countDrop(this.#host.stats.ipv4, 'arp-timeout');
          this.#host.unreachable(this, packet, now);
        }
        continue;
      }
      this.#requestResolution(nextHop, entry, now);
    }
  }

  /** Earliest time {@link NetworkInterface.poll} has work, or undefined. */
  pollAt(): number | undefined {
    if (this.#backlog.length > 0) return this.#now;
    let at: number | undefined;
    for (const entry of this.#pending.values()) {
      if (at === undefined || entry.nextRequestAt < at) at = entry.nextRequestAt;
    }
    return at;
  }

  #flushBacklog(): void {
    const stats = this.#host.stats.ethernet;
    let sent = 0;
    for (const frame of this.#backlog) {
      if (!this.device.transmit(frame.length, (buffer) => buffer.set(frame))) break;
      sent++;
    }
    if (sent > 0) {
      this.#backlog.splice(0, sent);
      stats.sent += sent;
    }
  }

  #resolve(nextHop: Ipv4Address, now: number): Uint8Array | undefined {
    if (this.isLocalBroadcast(nextHop)) return BROADCAST_MAC;
    if (isIpv4Multicast(nextHop)) {
      // RFC 1112 §6.4: 01:00:5e + the low 23 bits of the group address.
      return new Uint8Array([
        0x01,
        0x00,
        0x5e,
        (nextHop >>> 16) & 0x7f,
        (nextHop >>> 8) & 0xff,
        nextHop & 0xff,
      ]);
    }
    return this.arpCache.lookup(nextHop, now);
  }

  #requestResolution(nextHop: Ipv4Address, entry: PendingResolution, now: number): void {
    if (now < entry.nextRequestAt) return;
    const config = this.ipv4;
    if (!config) return;
    entry.requests++;
    entry.nextRequestAt = now + ARP_RETRY_INTERVAL;
    this.#sendArp(ArpOperation.Request, config.address, BROADCAST_MAC, ZERO_MAC, nextHop);
  }

  #sendArp(
    operation: number,
    senderProtocolAddress: Ipv4Address,
    destination: Uint8Array,
    targetHardwareAddress: Uint8Array,
    targetProtocolAddress: Ipv4Address,
  ): void {
    const senderHardwareAddress = this.device.macAddress;
    this.#host.stats.arp.sent++;
    this.transmitFrame(destination, EtherType.ARP, ARP_PACKET_LENGTH, (payload) => {
      emitArpRepr(
        {
          operation,
          senderHardwareAddress,
          senderProtocolAddress,
          targetHardwareAddress,
          targetProtocolAddress,
        },
        payload,
      );
    });
  }

  #input(bytes: Uint8Array, checksumVerified: boolean): void {
    const stats = this.#host.stats.ethernet;
    const frame = EthernetFrame.check(bytes);
    if (frame === 'truncated') {
      countDrop(stats, 'truncated');
      return;
    }
    const destination = frame.destination;
    if (!isBroadcastMac(destination) && !sameMac(destination, this.device.macAddress)) {
      countDrop(stats, isMulticastMac(destination) ? 'multicast' : 'not-for-us');
      return;
    }
    stats.received++;
    const etherType = frame.etherType;
    if (etherType === EtherType.IPv4) {
      this.#host.ipv4Input(this, frame.payload, checksumVerified, this.#now);
    } else if (etherType === EtherType.ARP) {
      this.#arpInput(frame.payload);
    } else {
      countDrop(stats, 'unknown-ethertype');
    }
  }

  /** RFC 826 "Packet Reception", hardened as described in the package README. */
  #arpInput(bytes: Uint8Array): void {
    const stats = this.#host.stats.arp;
    const now = this.#now;
    const packet = ArpPacket.check(bytes);
    if (typeof packet === 'string') {
      countDrop(stats, packet);
      return;
    }
    stats.received++;
    const senderMac = packet.senderHardwareAddress;
    const sender = packet.senderProtocolAddress;
    const target = packet.targetProtocolAddress;
    if (isMulticastMac(senderMac)) {
      countDrop(stats, 'non-unicast-sender');
      return;
    }
    if (sameMac(senderMac, this.device.macAddress)) {
      countDrop(stats, 'own-frame');
      return;
    }
    // RFC 5227 §2.1.1: while probing, any ARP from the probed address, or a probe for it
    // from another station, is a conflict.
    const probing = this.#probing;
    if (
      probing !== undefined &&
      (sender === probing ||
        (sender === IPV4_UNSPECIFIED &&
          target === probing &&
          packet.operation === ArpOperation.Request))
    ) {
      stats.conflicts++;
      this.#host.conflict(this, probing, now);
      return;
    }
    const config = this.ipv4;
    if (!config) {
      countDrop(stats, 'unconfigured');
      return;
    }
    if (sender === config.address) {
      // RFC 5227 §2.4: another station claims our address.
      stats.conflicts++;
      this.#host.conflict(this, sender, now);
      return;
    }
    if (sender === IPV4_UNSPECIFIED) {
      // An ARP probe (RFC 5227 §2.1.1) for an address: answer if it is ours, learn nothing.
      if (target === config.address && packet.operation === ArpOperation.Request) {
        this.#sendArp(ArpOperation.Reply, config.address, senderMac, senderMac, IPV4_UNSPECIFIED);
      } else {
        countDrop(stats, 'probe-not-for-us');
      }
      return;
    }
    if (
      !isInIpv4Subnet(sender, config.address, config.prefixLength) ||
      this.isLocalBroadcast(sender)
    ) {
      countDrop(stats, 'off-subnet');
      return;
    }
    if (target !== config.address) {
      // Not for us: learn nothing new, but a gratuitous ARP (sender = target) refreshes
      // an entry we already have (RFC 826 merge flag; RFC 5227 §3 announcements).
      if (sender === target && this.arpCache.update(sender, senderMac, now)) {
        this.#flushPending(sender, senderMac);
        return;
      }
      countDrop(stats, 'not-for-us');
      return;
    }
    this.arpCache.insert(sender, senderMac, now);
    this.#flushPending(sender, senderMac);
    if (packet.operation === ArpOperation.Request) {
      this.#sendArp(ArpOperation.Reply, config.address, senderMac, senderMac, sender);
    }
  }

  #flushPending(address: Ipv4Address, mac: Uint8Array): void {
    const entry = this.#pending.get(address);
    if (!entry) return;
    this.#pending.delete(address);
    for (const packet of entry.packets) {
      this.#pendingBytes -= packet.length;
      this.transmitFrame(mac, EtherType.IPv4, packet.length, (out) => out.set(packet));
    }
  }
}

function sameMac(a: Uint8Array, b: Uint8Array): boolean {
  return (
    a[0] === b[0] &&
    a[1] === b[1] &&
    a[2] === b[2] &&
    a[3] === b[3] &&
    a[4] === b[4] &&
    a[5] === b[5]
  );
}
