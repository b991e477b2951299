/**
 * Tells a test file whether to run, skip (with a reason), or — under CI=true — fail,
 * depending on whether this machine can run a Linux peer.
 */
import { describe, it } from 'vitest';
import { linuxPeerSupport, tapPeerMissing } from './requirements.js';

/**
 * `describe` for tests that need a Linux peer: runs `body` when the tools are there;
 * otherwise skips with the list of what is missing — except under CI=true, where a
 * failing test reports what is missing instead.
 */
export function describeWithLinuxPeer(name: string, body: () => void): void {
  describeWithRequirements(name, linuxPeerSupport().missing, 'Linux peer', body);
}

/** Like {@link describeWithLinuxPeer}, for the TAP-in-a-network-namespace peer (tap-peer.ts). */
export function describeWithTapPeer(name: string, body: () => void): void {
  describeWithRequirements(name, tapPeerMissing(), 'TAP peer', body);
}

function describeWithRequirements(
  name: string,
  missing: readonly string[],
  what: string,
  body: () => void,
): void {
  if (missing.length === 0) {
    describe(name, body);
  } else if (process.env.CI === 'true') {
    describe(name, () => {
      it(`has what the ${what} harness needs (required under CI=true)`, () => {
        throw new Error(`${what} harness: missing ${missing.join('; ')}`);
      });
    });
  } else {
    describe.skip(`${name} — skipped, ${what} unavailable: missing ${missing.join('; ')}`, body);
  }
}
