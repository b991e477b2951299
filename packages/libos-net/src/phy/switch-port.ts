/**
 * The ports of a {@link NetSwitch}: {@link SwitchPort}, a device the switch creates for
 * a stack in the same process, and {@link SwitchDevicePort}, the attachment of an
 * existing device (e.g. the host end of a virtio-net device model).
 */
import type {
  FrameFiller,
  FrameReceiver,
  NetDevice,
  NetDeviceCapabilities,
} from '../net-device.js';
import { isValidFrameLength, maxFrameBytes } from './ethernet-frame.js';
import type { FrameRing } from './frame-ring.js';
import { PhyError } from './phy-error.js';

/**
 * Counters of one switch port, seen from the switch: ingress is what the port brings
 * into the switch, egress what the switch sends out of it.
 *
 * @example
 * ```ts
 * import { VirtualClock } from '@libos/sched';
 * import { createSwitch } from '@libos/net';
 * const port = createSwitch({ clock: new VirtualClock() }).attach();
 * console.log(port.stats.ingressFrames, port.stats.egressDropped);
 * ```
 */
export interface SwitchPortStats {
  /** Frames taken into the switch from this port. */
  ingressFrames: number;
  /** Bytes of those frames. */
  ingressBytes: number;
  /** `transmit` calls on a {@link SwitchPort} refused because its ingress queue was full. */
  ingressRefused: number;
  /** Frames from an attached device dropped for a length outside 14..MTU + 14. */
  ingressInvalid: number;
  /** Frames that left the switch through this port. */
  egressFrames: number;
  /** Bytes of those frames. */
  egressBytes: number;
  /** Frames for this port dropped because its egress queue was full (switches drop, not block). */
  egressDropped: number;
}

/** @internal The switch's record of one port, shared with the port object. */
export interface PortRecord {
  /** Port number, unique within the switch and never reused. */
  readonly id: number;
  /** Counters. */
  readonly stats: SwitchPortStats;
  /** Frames queued for departure through this port. */
  readonly egress: FrameRing;
  /** Frames a {@link SwitchPort} transmitted, waiting for `poll` (none for device ports). */
  readonly ingress: FrameRing | undefined;
  /** The attached device of a {@link SwitchDevicePort}. */
  readonly device: NetDevice | undefined;
  /** Largest frame the attached device accepts (egress slot size for switch ports). */
  readonly deviceMaxFrame: number;
  /** False once detached. */
  attached: boolean;
}

/** @internal Fresh zeroed port counters. */
export function zeroPortStats(): SwitchPortStats {
  return {
    ingressFrames: 0,
    ingressBytes: 0,
    ingressRefused: 0,
    ingressInvalid: 0,
    egressFrames: 0,
    egressBytes: 0,
    egressDropped: 0,
  };
}

/** Detaches a port's record from its switch. */
type Detach = (record: PortRecord) => void;

/** Set by {@link SwitchPort}'s static block: the only way to call its private constructor. */
let makeSwitchPort: (
  record: PortRecord,
  capabilities: NetDeviceCapabilities,
  macAddress: Uint8Array,
  detach: Detach,
) => SwitchPort;

/** Set by {@link SwitchDevicePort}'s static block. */
let makeSwitchDevicePort: (record: PortRecord, detach: Detach) => SwitchDevicePort;

/** @internal Creates the device of a switch-made port (for `NetSwitch.attach`). */
export function newSwitchPort(
  record: PortRecord,
  capabilities: NetDeviceCapabilities,
  macAddress: Uint8Array,
  detach: Detach,
): SwitchPort {
  return makeSwitchPort(record, capabilities, macAddress, detach);
}

/** @internal Creates the handle of an attached device (for `NetSwitch.attachDevice`). */
export function newSwitchDevicePort(record: PortRecord, detach: Detach): SwitchDevicePort {
  return makeSwitchDevicePort(record, detach);
}

function assertAttached(record: PortRecord): void {
  if (!record.attached) {
    throw new PhyError('DETACHED_PORT', `switch port ${record.id} is detached`);
  }
}

/**
 * A {@link NetDevice} plugged into a {@link NetSwitch}, made by `NetSwitch.attach()`.
 * `transmit` queues the frame on the port's bounded ingress queue (a full queue refuses:
 * back-pressure, like a NIC's TX ring); the switch forwards it on its next `poll`.
 * `receive` lends frames the switch queued for this port; a full egress queue makes the
 * switch drop, counted in {@link SwitchPortStats.egressDropped}.
 *
 * @example
 * ```ts
 * import { VirtualClock } from '@libos/sched';
 * import { createSwitch } from '@libos/net';
 * const sw = createSwitch({ clock: new VirtualClock() });
 * const a = sw.attach();
 * const b = sw.attach();
 * a.transmit(60, (f) => f.fill(0xff, 0, 6)); // broadcast
 * sw.poll();
 * b.receive((f) => console.log(f.length), 8); // 60
 * ```
 */
export class SwitchPort implements NetDevice {
  /** The switch's MTU; burst size is the queue length; no offloads. */
  readonly capabilities: NetDeviceCapabilities;
  /** This port's (host's) MAC address. */
  readonly macAddress: Uint8Array;
  readonly #record: PortRecord;
  readonly #ingress: FrameRing;
  readonly #detach: (record: PortRecord) => void;
  readonly #maxFrame: number;

  /**
   * Use `NetSwitch.attach`.
   *
   * @param record Shared port record.
   * @param ingress The port's ingress queue.
   * @param capabilities The switch's port capabilities.
   * @param macAddress The port's MAC.
   * @param detach Removes the port from its switch.
   */
  private constructor(
    record: PortRecord,
    ingress: FrameRing,
    capabilities: NetDeviceCapabilities,
    macAddress: Uint8Array,
    detach: (record: PortRecord) => void,
  ) {
    this.#record = record;
    this.#ingress = ingress;
    this.capabilities = capabilities;
    this.macAddress = macAddress;
    this.#detach = detach;
    this.#maxFrame = maxFrameBytes(capabilities);
  }

  static {
    makeSwitchPort = (record, capabilities, macAddress, detach) => {
      if (!record.ingress) {
        throw new PhyError('INVALID_OPTION', 'a switch port needs an ingress queue');
      }
      return new SwitchPort(record, record.ingress, capabilities, macAddress, detach);
    };
  }

  /** Port number within the switch. */
  get id(): number {
    return this.#record.id;
  }

  /** This port's counters. */
  get stats(): SwitchPortStats {
    return this.#record.stats;
  }

  /** False after {@link SwitchPort.detach}. */
  get attached(): boolean {
    return this.#record.attached;
  }

  /**
   * Lends up to `budget` frames the switch forwarded to this port, oldest first.
   *
   * @throws {@link PhyError} `DETACHED_PORT` after `detach`.
   */
  receive(onFrame: FrameReceiver, budget: number): number {
    assertAttached(this.#record);
    const { egress, stats } = this.#record;
    let n = 0;
    while (n < budget && !egress.empty) {
      stats.egressBytes += egress.headLength;
      egress.shift(onFrame);
      n++;
    }
    stats.egressFrames += n;
    return n;
  }

  /**
   * Queues one frame for the switch; false when the ingress queue is full or `length`
   * is outside 14..MTU + 14.
   *
   * @throws {@link PhyError} `DETACHED_PORT` after `detach`.
   */
  transmit(length: number, fill: FrameFiller): boolean {
    assertAttached(this.#record);
    if (!isValidFrameLength(length, this.#maxFrame)) return false;
    if (this.#ingress.full) {
      this.#record.stats.ingressRefused++;
      return false;
    }
    this.#ingress.push(length, fill);
    return true;
  }

  /** Unplugs the port: queued frames are discarded and its MAC entries forgotten. */
  detach(): void {
    this.#detach(this.#record);
  }
}

/**
 * An existing {@link NetDevice} attached to a {@link NetSwitch} by
 * `NetSwitch.attachDevice`: on each `poll` the switch receives from the device and
 * transmits to it the frames forwarded its way (queued while the device pushes back,
 * dropped when that queue is full).
 *
 * @example
 * ```ts
 * import { VirtualClock } from '@libos/sched';
 * import { createLink, createSwitch } from '@libos/net';
 * const sw = createSwitch({ clock: new VirtualClock() });
 * const [switchSide, hostSide] = createLink();
 * const uplink = sw.attachDevice(switchSide);
 * console.log(uplink.id, hostSide.macAddress.length);
 * ```
 */
export class SwitchDevicePort {
  /** The attached device. */
  readonly device: NetDevice;
  readonly #record: PortRecord;
  readonly #detach: (record: PortRecord) => void;

  /**
   * Use `NetSwitch.attachDevice`.
   *
   * @param record Shared port record.
   * @param device The attached device.
   * @param detach Removes the port from its switch.
   */
  private constructor(record: PortRecord, device: NetDevice, detach: (record: PortRecord) => void) {
    this.device = device;
    this.#record = record;
    this.#detach = detach;
  }

  static {
    makeSwitchDevicePort = (record, detach) => {
      if (!record.device) throw new PhyError('INVALID_OPTION', 'a device port needs a device');
      return new SwitchDevicePort(record, record.device, detach);
    };
  }

  /** Port number within the switch. */
  get id(): number {
    return this.#record.id;
  }

  /** This port's counters. */
  get stats(): SwitchPortStats {
    return this.#record.stats;
  }

  /** False after {@link SwitchDevicePort.detach}. */
  get attached(): boolean {
    return this.#record.attached;
  }

  /** Detaches the device: queued frames are discarded and its MAC entries forgotten. */
  detach(): void {
    this.#detach(this.#record);
  }
}
