/**
 * UTF-8 conversion through the host's `TextEncoder`/`TextDecoder` (present in browsers,
 * Node.js, Deno and Bun). This layer compiles without DOM types, so the classes are
 * looked up on `globalThis` and typed structurally here.
 */
interface HostText {
  TextEncoder: new () => { encode(text: string): Uint8Array };
  TextDecoder: new () => { decode(bytes: Uint8Array): string };
}

const host = globalThis as unknown as HostText;
const encoder = new host.TextEncoder();
const decoder = new host.TextDecoder();

/**
 * Encodes text as UTF-8.
 *
 * @param text The text.
 * @example
 * ```ts
 * // internal to @libos/fs (src/api/utf8.ts)
 * encodeUtf8('é'); // Uint8Array [0xc3, 0xa9]
 * ```
 */
export function encodeUtf8(text: string): Uint8Array {
  return encoder.encode(text);
}

/**
 * Decodes UTF-8 (malformed sequences become U+FFFD, as Node's `buffer.toString()` does).
 *
 * @param bytes The bytes.
 * @example
 * ```ts
 * // internal to @libos/fs (src/api/utf8.ts)
 * decodeUtf8(new Uint8Array([0x68, 0x69])); // 'hi'
 * ```
 */
export function decodeUtf8(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}
