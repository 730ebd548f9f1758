// What an object answers, instead of throwing, while the fault switch makes it unavailable. A throw across Durable
// Object RPC is what an unreachable object causes, but workerd also reports every exception thrown by an RPC method as
// uncaught, so a test run with faults would print a stack trace per faulted call. The object returns this mark instead
// and the caller's stub (names.ts) throws ObjectUnavailable in the caller's isolate: callers see exactly the exception
// they would see from an unreachable object, and nothing is reported as uncaught. A leaf: no imports.

export const UNAVAILABLE_MESSAGE = "partition replica is unavailable (fault switch)";

export interface Unavailable {
  readonly edgelogUnavailable: string;
}

export const UNAVAILABLE: Unavailable = { edgelogUnavailable: UNAVAILABLE_MESSAGE };

export function isUnavailable(value: unknown): value is Unavailable {
  return typeof value === "object" && value !== null && typeof (value as Partial<Unavailable>).edgelogUnavailable === "string";
}

/** Thrown by a stub whose object answered UNAVAILABLE: the caller treats it as an unreachable object. */
export class ObjectUnavailable extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ObjectUnavailable";
  }
}
