// Base64 for keys, values and header values sent with encoding=base64: strict validation, sizes without decoding,
// and conversion to and from UTF-8 text; base64url for random tokens. Runs in Workers, Node and browsers (atob/btoa
// only).

const STRICT_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const utf8Decoder = new TextDecoder();
const utf8Encoder = new TextEncoder();

export function isBase64(text: string): boolean {
  return text.length % 4 === 0 && STRICT_BASE64.test(text);
}

/** Decoded byte length of a valid base64 string. */
export function base64ByteLength(text: string): number {
  const padding = text.endsWith("==") ? 2 : text.endsWith("=") ? 1 : 0;
  return (text.length / 4) * 3 - padding;
}

export function base64ToBytes(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

export function bytesToBase64(bytes: Uint8Array): string {
  let binary = "";
  // Chunks keep String.fromCharCode's argument list short.
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

/** The URL- and filename-safe alphabet (RFC 4648 §5), without padding. */
export function bytesToBase64Url(bytes: Uint8Array): string {
  return bytesToBase64(bytes).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/** Bytes that are not valid UTF-8 become U+FFFD: binary data should be read with encoding=base64. */
export function base64ToText(text: string): string {
  return utf8Decoder.decode(base64ToBytes(text));
}

export function textToBase64(text: string): string {
  return bytesToBase64(utf8Encoder.encode(text));
}

/** UTF-8 byte length of a JS string without allocating. */
export function utf8ByteLength(text: string): number {
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) bytes += 1;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 2; // a surrogate pair: 2 code units, 4 bytes
        i++;
      } else bytes += 2;
    } else bytes += 2;
  }
  return bytes;
}
