/** Keys of a spec that never reach its device model's options. */
const NOT_MODEL_OPTIONS: readonly string[] = ['kind', 'driver', 'deviceClass'];

/**
 * Picks the keys of `spec` that are device model options: drops `kind`, `driver`,
 * `deviceClass`, the keys in `drop` (backend, source, output…) and undefined values.
 */
export function modelOptions<S extends { readonly kind: string }, K extends keyof S>(
  spec: S,
  drop: readonly K[],
): Omit<S, K | 'kind' | 'driver' | 'deviceClass'> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(spec)) {
    if (NOT_MODEL_OPTIONS.includes(key) || (drop as readonly string[]).includes(key)) continue;
    if (value !== undefined) out[key] = value;
  }
  return out as Omit<S, K | 'kind' | 'driver' | 'deviceClass'>;
}
