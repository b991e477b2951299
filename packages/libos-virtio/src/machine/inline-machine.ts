import type { DeviceHandle, HandlesOf, NetHandle } from './device-handle.js';
import type { DeviceSpec } from './device-spec.js';
import type { Machine } from './machine.js';
import { closeDrivers, MachineBase, type MachineParts } from './machine-base.js';

/** Everything {@link createMachine} assembled for an {@link InlineMachine}. */
export type InlineMachineParts = MachineParts<DeviceHandle>;

/**
 * The {@link Machine} of mode `'inline'`: device models and drivers share the caller's
 * thread through one `InlineLink`.
 */
export class InlineMachine<T extends readonly DeviceSpec[]>
  extends MachineBase<DeviceHandle>
  implements Machine<T>
{
  readonly mode = 'inline' as const;
  readonly devices: HandlesOf<T>;
  readonly #nets: readonly NetHandle[];

  constructor(parts: InlineMachineParts) {
    super(parts);
    // The handles were built from the specs one for one, in order: this is their type.
    this.devices = this.handles as unknown as HandlesOf<T>;
    this.#nets = this.ofKind('net');
  }

  protected pumpDevices(): number {
    let moved = 0;
    for (const h of this.#nets) moved += h.model.poll();
    return moved;
  }

  protected async stopDevices(): Promise<void> {
    for (const h of this.handles) h.model.stop();
  }
}

/**
 * Flushes every disk, closes every driver, stops every model. Never rejects: a failing
 * flush or close (a device that already failed) does not keep the rest open.
 */
export async function closeHandles(handles: readonly DeviceHandle[]): Promise<void> {
  await closeDrivers(handles);
  for (const h of handles) h.model.stop();
}
