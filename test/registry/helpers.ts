// Registry test helpers: calls under /schema-registry with Confluent's content type, unique subject names.
import { api } from "../helpers";

export const CT = { "content-type": "application/vnd.schemaregistry.v1+json" };

export function sr(method: string, path: string, body?: unknown) {
  return api(method, `/schema-registry${path}`, body, body === undefined ? {} : CT);
}

let n = 0;
export function uniqueSubject(prefix = "s"): string {
  return `${prefix}-${++n}-${crypto.randomUUID().slice(0, 8)}`;
}

export function avro(fields: Record<string, unknown>[], name = "Order", extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ type: "record", name, namespace: "com.acme", fields, ...extra });
}

export async function registerOk(subject: string, schema: string, schemaType = "AVRO", references: unknown[] = []): Promise<number> {
  const r = await sr("POST", `/subjects/${encodeURIComponent(subject)}/versions`, { schema, schemaType, ...(references.length ? { references } : {}) });
  if (r.status !== 200) throw new Error(`register ${subject}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.id as number;
}
