import type { Stack } from '@libos/net';
import type { Poller } from '@libos/sched';
import { describe, expectTypeOf, it } from 'vitest';

describe('Stack', () => {
  it('is a @libos/sched Poller, so a scheduler or real-time loop can drive it', () => {
    expectTypeOf<Stack>().toMatchTypeOf<Poller>();
  });
});
