// Confluent's wire format for a serialized key or value: magic byte 0, the schema id as a 4-byte big-endian integer,
// then the payload (Avro binary, or JSON text for JSON Schema). Pure: no I/O.

export const MAGIC_BYTE = 0;
export const WIRE_HEADER_BYTES = 5;

/** The schema id a serialized value names, or a message saying why it is not in the wire format. */
export function wireSchemaId(bytes: Uint8Array): { id: number } | { error: string } {
  if (bytes.length < WIRE_HEADER_BYTES) return { error: `${bytes.length} bytes is too short for the wire format (magic byte 0 and a 4-byte schema id)` };
  if (bytes[0] !== MAGIC_BYTE) return { error: `unknown magic byte ${bytes[0]} (the wire format starts with 0)` };
  const id = ((bytes[1]! << 24) | (bytes[2]! << 16) | (bytes[3]! << 8) | bytes[4]!) >>> 0;
  return { id };
}

/** The wire format's header for a schema id (tests and tools build values with it). */
export function wireHeader(id: number): Uint8Array {
  return Uint8Array.of(MAGIC_BYTE, (id >>> 24) & 0xff, (id >>> 16) & 0xff, (id >>> 8) & 0xff, id & 0xff);
}
