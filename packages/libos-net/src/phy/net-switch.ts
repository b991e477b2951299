/**
 * An in-process Ethernet learning bridge (IEEE 802.1Q-2018 §8: relay, filtering
 * database, flooding), sans-IO: it moves frames only inside {@link NetSwitch.poll}.
 *
 * ```text
 *   SwitchPort ──transmit──▶ [ingress ring] ─┐                ┌─▶ [egress ring] ──receive──▶ SwitchPort
 *                                            ├─ poll: learn ──┤
 *   attached NetDevice ──device.receive──────┘   + forward    └─▶ [egress ring] ──device.transmit──▶ NetDevice
 * ```
 */
import type { Clock } from '@libos/sched';
import type { NetDevice, NetDeviceCapabilities } from '../net-device.js';
import {
  checkMacAddress,
  checkMaxTransmitUnit,
  checkQueueFrames,
  ETHERNET_HEADER_BYTES,
  maxFrameBytes,
  plainCapabilities,
  SOURCE_MAC_OFFSET,
} from './ethernet-frame.js';
import { FrameRing } from './frame-ring.js';
import { MacTable, type MacTableOptions } from './mac-table.js';
import { PhyError } from './phy-error.js';
import {
  newSwitchDevicePort,
  newSwitchPort,
  type PortRecord,
  type SwitchDevicePort,
  type SwitchPort,
  zeroPortStats,
} from './switch-port.js';

/**
 * Options of {@link createSwitch}.
 *
 * @example
 * ```ts
 * import { VirtualClock } from '@libos/sched';
 * import { createSwitch, type NetSwitchOptions } from '@libos/net';
 * const options: NetSwitchOptions = { clock: new VirtualClock(), queueFrames: 128 };
 * const sw = createSwitch(options);
 * ```
 */
export interface NetSwitchOptions {
  /** Time source for MAC ageing (µs). */
  readonly clock: Clock;
  /** L3 MTU of every port. Default 1500. */
  readonly maxTransmitUnit?: number;
  /** Length of each port's ingress and egress queue. Default 64. */
  readonly queueFrames?: number;
  /** Size and ageing of the learning table. */
  readonly macTable?: MacTableOptions;
}

/**
 * Options of {@link NetSwitch.attach}.
 *
 * @example
 * ```ts
 * import { VirtualClock } from '@libos/sched';
 * import { createSwitch, parseMacAddress, type SwitchPortOptions } from '@libos/net';
 * const options: SwitchPortOptions = { macAddress: parseMacAddress('02:00:00:00:01:01') };
 * const port = createSwitch({ clock: new VirtualClock() }).attach(options);
 * ```
 */
export interface SwitchPortOptions {
  /** The port device's MAC. Default 02:00:5e:50:pp:pp (locally administered, pp = port id). */
  readonly macAddress?: Uint8Array;
}

/**
 * Switch-wide forwarding counters (per-port counters are on each port).
 *
 * @example
 * ```ts
 * import { VirtualClock } from '@libos/sched';
 * import { createSwitch } from '@libos/net';
 * const sw = createSwitch({ clock: new VirtualClock() });
 * console.log(sw.stats.unicast, sw.stats.flooded, sw.stats.filtered);
 * ```
 */
export interface NetSwitchStats {
  /** Frames sent to the one port their destination was learned on. */
  unicast: number;
  /** Frames sent to every other port: broadcast, multicast or unknown destination. */
  flooded: number;
  /** Frames discarded because their destination lives on the port they came from. */
  filtered: number;
}

/**
 * An L2 learning switch connecting any number of devices in one process. Ports are
 * {@link SwitchPort}s it creates (`attach`) or existing {@link NetDevice}s it drives
 * (`attachDevice`). Each {@link NetSwitch.poll} takes frames in from every port, learns
 * source addresses (bounded table with ageing), and forwards: known unicast to its
 * port, broadcast/multicast/unknown flooded to all ports but the ingress one, never
 * echoed back. Queues are bounded and preallocated; a full egress queue drops and
 * counts.
 *
 * @example
 * ```ts
 * import { VirtualClock } from '@libos/sched';
 * import { createSwitch } from '@libos/net';
 * const sw = createSwitch({ clock: new VirtualClock() });
 * const [a, b, c] = [sw.attach(), sw.attach(), sw.attach()];
 * a.transmit(60, (f) => { f.set(b.macAddress, 0); f.set(a.macAddress, 6); });
 * sw.poll(); // b's MAC is unknown yet: flooded to b and c
 * ```
 */
export class NetSwitch {
  /** Time source for ageing. */
  readonly clock: Clock;
  /** Capabilities of every {@link SwitchPort}. */
  readonly capabilities: NetDeviceCapabilities;
  /** The learning table (inspect it, or sweep aged entries). */
  readonly macTable: MacTable;
  /** Forwarding counters. */
  readonly stats: NetSwitchStats = { unicast: 0, flooded: 0, filtered: 0 };
  readonly #queueFrames: number;
  readonly #maxFrame: number;
  /** Attached ports in attach order. */
  #ports: PortRecord[] = [];
  /** Port records by id, detached ones included (ids are never reused). */
  readonly #byId: (PortRecord | undefined)[] = [];
  #nextId = 0;
  /** Where the next poll starts, rotating for fairness. */
  #start = 0;
  /** State for the bound callbacks below (no closure per frame). */
  #from: PortRecord | undefined;
  #now = 0;
  #flushing: FrameRing | undefined;
  readonly #ingest = (frame: Uint8Array): void => this.#forward(frame);
  readonly #copyHead = (buffer: Uint8Array): void => buffer.set(this.#flushing!.peek());
  readonly #detach = (record: PortRecord): void => this.#detachRecord(record);

  /**
   * Prefer {@link createSwitch}.
   *
   * @param options Clock, MTU, queue sizes, table options.
   * @throws {@link PhyError} `INVALID_OPTION` for out-of-range options.
   */
  constructor(options: NetSwitchOptions) {
    const mtu = checkMaxTransmitUnit(options.maxTransmitUnit ?? 1500);
    this.#queueFrames = checkQueueFrames(options.queueFrames ?? 64);
    this.clock = options.clock;
    this.capabilities = plainCapabilities(mtu, this.#queueFrames);
    this.#maxFrame = maxFrameBytes(this.capabilities);
    this.macTable = new MacTable(options.macTable);
  }

  /** Number of attached ports. */
  get portCount(): number {
    return this.#ports.length;
  }

  /**
   * Creates a port and returns its device, for a stack in this process.
   *
   * @param options The port's MAC.
   * @throws {@link PhyError} `INVALID_OPTION` for a MAC that is not 6 bytes.
   */
  attach(options: SwitchPortOptions = {}): SwitchPort {
    const id = this.#nextId;
    const mac = checkMacAddress(
      options.macAddress ?? Uint8Array.of(0x02, 0x00, 0x5e, 0x50, (id >>> 8) & 0xff, id & 0xff),
    );
    const record = this.#newRecord(new FrameRing(this.#queueFrames, this.#maxFrame), undefined);
    return newSwitchPort(record, this.capabilities, mac, this.#detach);
  }

  /**
   * Attaches an existing device: each `poll` receives from it and transmits to it.
   *
   * @param device Typically one end of a cable or a device model's host side.
   */
  attachDevice(device: NetDevice): SwitchDevicePort {
    const record = this.#newRecord(undefined, device);
    return newSwitchDevicePort(record, this.#detach);
  }

  /**
   * Detaches a port of this switch (same as `port.detach()`); detaching twice is a no-op.
   *
   * @throws {@link PhyError} `FOREIGN_PORT` for a port of another switch.
   */
  detach(port: SwitchPort | SwitchDevicePort): void {
    const record = this.#byId[port.id];
    if (record?.stats !== port.stats) {
      throw new PhyError('FOREIGN_PORT', `port ${port.id} does not belong to this switch`);
    }
    this.#detachRecord(record);
  }

  /**
   * The id of the port `mac` was learned on, or -1 when unknown or aged out.
   *
   * @param mac A 6-byte address.
   */
  portOf(mac: Uint8Array): number {
    return this.macTable.lookup(checkMacAddress(mac), 0, this.clock.now());
  }

  /**
   * Moves frames: takes up to `budget` frames in from each port (starting with a
   * different port each call), forwards them, then sends queued frames out to
   * attached devices until they push back. Returns the number of frames taken in.
   *
   * @param budget Most frames taken from each port. Default: the queue length.
   */
  poll(budget: number = this.#queueFrames): number {
    this.#now = this.clock.now();
    const ports = this.#ports;
    const count = ports.length;
    let taken = 0;
    for (let k = 0; k < count; k++) {
      const record = ports[(this.#start + k) % count]!;
      this.#from = record;
      if (record.ingress) {
        let n = 0;
        while (n < budget && record.ingress.shift(this.#ingest)) n++;
        taken += n;
      } else if (record.device) {
        taken += record.device.receive(this.#ingest, budget);
      }
    }
    this.#from = undefined;
    if (count > 0) this.#start = (this.#start + 1) % count;
    for (const record of ports) if (record.device) this.#flush(record);
    return taken;
  }

  #newRecord(ingress: FrameRing | undefined, device: NetDevice | undefined): PortRecord {
    const egressBytes = device ? Math.min(this.#maxFrame, maxFrameBytes(device.capabilities)) : 0;
    const record: PortRecord = {
      id: this.#nextId++,
      stats: zeroPortStats(),
      egress: new FrameRing(this.#queueFrames, this.#maxFrame),
      ingress,
      device,
      deviceMaxFrame: device ? egressBytes : this.#maxFrame,
      attached: true,
    };
    this.#byId[record.id] = record;
    this.#ports = [...this.#ports, record];
    return record;
  }

  #detachRecord(record: PortRecord): void {
    if (!record.attached) return;
    record.attached = false;
    record.egress.clear();
    record.ingress?.clear();
    this.#ports = this.#ports.filter((r) => r !== record);
    this.macTable.forgetPort(record.id);
  }

  /** Learn + relay one frame from `this.#from` (IEEE 802.1Q-2018 §8.5, §8.7, §8.8). */
  #forward(frame: Uint8Array): void {
    const from = this.#from!;
    const length = frame.length;
    if (length < ETHERNET_HEADER_BYTES || length > this.#maxFrame) {
      from.stats.ingressInvalid++;
      return;
    }
    from.stats.ingressFrames++;
    from.stats.ingressBytes += length;
    // §8.7: learn only individual (unicast) source addresses.
    if ((frame[SOURCE_MAC_OFFSET]! & 1) === 0) {
      this.macTable.learn(frame, SOURCE_MAC_OFFSET, from.id, this.#now);
    }
    // IEEE 802 §8.2: the I/G bit marks group (multicast and broadcast) destinations.
    if ((frame[0]! & 1) === 0) {
      const portId = this.macTable.lookup(frame, 0, this.#now);
      if (portId === from.id) {
        this.stats.filtered++; // §8.6.3: never send a frame back out of its reception port
        return;
      }
      const to = portId >= 0 ? this.#byId[portId] : undefined;
      if (to?.attached) {
        this.stats.unicast++;
        this.#enqueue(to, frame);
        return;
      }
    }
    this.stats.flooded++;
    const ports = this.#ports;
    for (let i = 0; i < ports.length; i++) {
      const to = ports[i]!;
      if (to !== from) this.#enqueue(to, frame);
    }
  }

  #enqueue(to: PortRecord, frame: Uint8Array): void {
    if (to.egress.full || frame.length > to.deviceMaxFrame) {
      to.stats.egressDropped++;
      return;
    }
    to.egress.pushCopy(frame);
  }

  /** Sends an attached device its queued frames until it refuses one. */
  #flush(record: PortRecord): void {
    const device = record.device!;
    const egress = record.egress;
    this.#flushing = egress;
    while (!egress.empty) {
      const length = egress.headLength;
      if (!device.transmit(length, this.#copyHead)) break;
      egress.drop();
      record.stats.egressFrames++;
      record.stats.egressBytes += length;
    }
    this.#flushing = undefined;
  }
}

/**
 * Makes a {@link NetSwitch}.
 *
 * @param options Clock, MTU, queue sizes, table options.
 * @throws {@link PhyError} `INVALID_OPTION` for out-of-range options.
 * @example
 * ```ts
 * import { VirtualClock } from '@libos/sched';
 * import { createLink, createSwitch } from '@libos/net';
 * const sw = createSwitch({ clock: new VirtualClock(), macTable: { capacity: 64 } });
 * const guest = sw.attach();
 * const [switchSide, host] = createLink();
 * sw.attachDevice(switchSide);
 * host.transmit(60, (f) => f.set(guest.macAddress, 0));
 * sw.poll();
 * guest.receive((f) => console.log(f.length), 8);
 * ```
 */
export function createSwitch(options: NetSwitchOptions): NetSwitch {
  return new NetSwitch(options);
}
