/**
 * InlineLink doorbells: watchers run synchronously in registration order, a ring from
 * inside a watcher is queued (never re-entrant), a watcher stopped by an earlier one in
 * the same ring is skipped, one added during a ring waits for the next ring, and an
 * error from one watcher does not stop the others.
 */
import { GuestMemory } from '@libos/mem';
import { InlineLink } from '@libos/virtio';
import { describe, expect, it } from 'vitest';

const A = 0x100;
const B = 0x200;

describe('InlineLink', () => {
  it('runs watchers in order, once on watch and once per ring', () => {
    const link = new InlineLink(new GuestMemory(4096));
    const calls: string[] = [];
    link.watch(A, () => calls.push('a1'));
    link.watch(A, () => calls.push('a2'));
    link.watch(B, () => calls.push('b'));
    expect(calls).toEqual(['a1', 'a2', 'b']);
    link.ring(A);
    expect(calls).toEqual(['a1', 'a2', 'b', 'a1', 'a2']);
    link.ring(0x300); // nobody watches
    expect(calls).toHaveLength(5);
  });

  it('queues nested rings after the current watcher, in order', () => {
    const link = new InlineLink(new GuestMemory(4096));
    const calls: string[] = [];
    let depth = 0;
    let nest = false;
    link.watch(A, () => {
      depth++;
      calls.push(`a@${depth}`);
      if (nest) {
        nest = false;
        link.ring(B);
        link.ring(A);
      }
      depth--;
    });
    link.watch(B, () => calls.push(`b@${depth}`));
    calls.length = 0;
    nest = true;
    link.ring(A);
    expect(calls).toEqual(['a@1', 'b@0', 'a@1']);
  });

  it('skips a watcher stopped earlier in the same ring; a new one waits for the next ring', () => {
    const link = new InlineLink(new GuestMemory(4096));
    const calls: string[] = [];
    let second: { stop(): void } | null = null;
    let armed = false;
    link.watch(A, () => {
      calls.push('first');
      if (!armed) return;
      second?.stop();
      link.watch(A, () => calls.push('late'));
    });
    second = link.watch(A, () => calls.push('second'));
    calls.length = 0;
    armed = true;
    link.ring(A); // "late" is registered (and called once by watch itself)
    expect(calls).toEqual(['first', 'late']);
    armed = false;
    calls.length = 0;
    link.ring(A);
    expect(calls).toEqual(['first', 'late']);
    second.stop(); // a second stop does nothing
    link.ring(A);
    expect(calls).toEqual(['first', 'late', 'first', 'late']);
  });

  it('rethrows the first watcher error after running the rest, and stays usable', () => {
    const link = new InlineLink(new GuestMemory(4096));
    const calls: string[] = [];
    let fail = false;
    link.watch(A, () => {
      if (fail) throw new Error('one');
    });
    link.watch(A, () => {
      if (fail) throw new Error('two');
    });
    link.watch(A, () => calls.push('third'));
    fail = true;
    expect(() => link.ring(A)).toThrow('one');
    expect(calls).toEqual(['third', 'third']);
    fail = false;
    link.ring(A);
    expect(calls).toEqual(['third', 'third', 'third']);
  });
});
