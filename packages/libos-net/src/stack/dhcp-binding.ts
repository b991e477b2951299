/**
 * Glue between a {@link DhcpClient} and one interface of a stack: leases become the
 * interface's address and routes; an offered address is probed with ARP before use and
 * declined on conflict (RFC 2131 §4.4.1, RFC 5227 §2.1).
 *
 * ```text
 *  DhcpClient ──bound──► probe (ARP, sender 0) ──quiet for probeMicros──► configure address
 *                             │ conflict                                      │ renewed: refresh
 *                             ▼                                               ▼ expired/nak: remove
 *                         decline()
 * ```
 */
import type { DhcpClient, DhcpEvent } from '../dhcp/dhcp-client.js';
import type { DhcpLease } from '../dhcp/dhcp-lease.js';
import type { UdpTransmit } from '../dhcp/udp-transmit.js';
import type { Ipv4Address } from '../wire/ipv4-address.js';
import type { NetworkInterface } from './network-interface.js';

/**
 * DHCP options of an interface (`ipv4: 'dhcp'` or `ipv4: { dhcp: {...} }`).
 *
 * @example
 * ```ts
 * import type { DhcpConfig } from '@libos/net';
 * const dhcp: DhcpConfig = { hostName: 'unikernel', probeMicros: 0 };
 * ```
 */
export interface DhcpConfig {
  /** Option 12, the host name sent to the server. */
  readonly hostName?: string;
  /**
   * How long to wait for an answer to the ARP probe of an offered address before using
   * it (µs); 0 skips the probe. Default 500 ms (RFC 5227 §2.1.1 probes for longer; the
   * shorter wait keeps boot fast and still catches a live duplicate on the link).
   */
  readonly probeMicros?: number;
}

/** What a binding asks of its stack. */
export interface DhcpBindingHost {
  /** Applies a lease (or removes the address with `undefined`). */
  applyLease(iface: NetworkInterface, lease: DhcpLease | undefined): void;
  /** Sends a datagram the client produced, out of `iface`. */
  sendDatagram(iface: NetworkInterface, transmit: UdpTransmit): void;
}

/** @internal One interface's DHCP client and its probe state. */
export class DhcpBinding {
  readonly client: DhcpClient;
  readonly iface: NetworkInterface;
  readonly #host: DhcpBindingHost;
  readonly #probeMicros: number;
  /** The lease being probed and when the probe ends. */
  #probe: { lease: DhcpLease; until: number } | undefined;

  constructor(
    host: DhcpBindingHost,
    iface: NetworkInterface,
    client: DhcpClient,
    config: DhcpConfig,
  ) {
    this.#host = host;
    this.iface = iface;
    this.client = client;
    this.#probeMicros = config.probeMicros ?? 500_000;
    client.onChange((event) => this.#changed(event));
  }

  /** Sends what the client wants sent and finishes a probe that has run its time. */
  poll(now: number): void {
    const probe = this.#probe;
    if (probe && now >= probe.until) {
      this.#probe = undefined;
      this.iface.endProbe();
      this.#host.applyLease(this.iface, probe.lease);
    }
    for (let i = 0; i < 16; i++) {
      const transmit = this.client.poll(now);
      if (!transmit) break;
      this.#host.sendDatagram(this.iface, transmit);
    }
  }

  /** Earliest time {@link DhcpBinding.poll} has work. */
  pollAt(): number | undefined {
    const at = this.client.pollAt();
    const probeEnd = this.#probe?.until;
    if (probeEnd === undefined) return at;
    return at === undefined || probeEnd < at ? probeEnd : at;
  }

  /** Another station answered for `address`: decline it if it is the probed offer. */
  conflict(address: Ipv4Address, now: number): void {
    if (this.#probe?.lease.address !== address) return;
    this.#probe = undefined;
    this.iface.endProbe();
    this.client.decline(now);
  }

  #changed(event: DhcpEvent): void {
    const lease = event.lease;
    if (event.type === 'bound' && lease) {
      if (this.#probeMicros <= 0) {
        this.#host.applyLease(this.iface, lease);
        return;
      }
      this.#probe = { lease, until: event.at + this.#probeMicros };
      this.iface.probe(lease.address, event.at);
      return;
    }
    if (event.type === 'renewed' && lease) {
      this.#host.applyLease(this.iface, lease);
      return;
    }
    // expired, nak, declined, released: the address is no longer ours.
    this.#probe = undefined;
    this.iface.endProbe();
    this.#host.applyLease(this.iface, undefined);
  }
}
