/**
 * Test helper for the examples: loads an example's main module with `host` installed
 * as the default host, and resolves once its unikernel has booted — without waiting for
 * the module itself, whose top level may serve forever.
 */
import { installHost } from '@libos/boot';
import type { NodeHost } from '@libos/boot/node';

export async function bootExample(
  host: NodeHost,
  load: () => Promise<unknown>,
  timeoutMs = 20_000,
): Promise<void> {
  installHost(host);
  let failed: unknown;
  load().catch((e: unknown) => {
    failed = e;
  });
  for (let waited = 0; host.kernels.length === 0; waited += 20) {
    if (failed !== undefined) throw failed;
    if (waited > timeoutMs) throw new Error(`the unikernel did not boot within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
