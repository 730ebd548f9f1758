// Forks (P§4.2), the pure parts: whether a re-create matches the stream that exists, and what a fork inherits. A fork
// shares its source's offsets: records below `inheritEnd` are read from the source (recursively up a chain), the rest
// are the fork's own. A byte sub-offset cannot split a stored record, so its prefix becomes the fork's first record; a
// JSON sub-offset counts messages, which are records already. A leaf.
import { sameMediaType } from "./media-type";
import type { CreateStreamRequest, ForkGrant } from "./protocol";
import type { StreamMeta } from "./stream-store";

/** An idempotent PUT (200) needs the same content type, TTL or expiry, closed state and fork parameters (P§5.1). A
 *  fork that named no TTL inherited its source's, so only one it names is compared; likewise its content type. */
export function sameConfig(existing: StreamMeta, request: CreateStreamRequest): boolean {
  const fork = request.fork;
  const namesTtl = request.ttlSeconds !== undefined || request.expiresAt !== undefined;
  const ttlSame = existing.ttlSeconds === request.ttlSeconds && existing.expiresAtMs === request.expiresAt?.ms;
  return (
    (fork !== undefined && !request.contentTypeGiven ? true : sameMediaType(existing.contentType, request.contentType)) &&
    (fork !== undefined && !namesTtl ? true : ttlSame) &&
    existing.closed === request.closed &&
    existing.forkedFrom === fork?.source &&
    existing.forkOffsetText === fork?.offsetText &&
    existing.forkSubOffset === (fork?.subOffset ?? 0)
  );
}

/** A fork's own metadata fields: its content type and lifetime (its own, else its source's), and where it starts. */
export function forkMeta(request: CreateStreamRequest, grant: ForkGrant): Pick<StreamMeta, "contentType" | "ttlSeconds" | "expiresAt" | "expiresAtMs" | "forkedFrom" | "forkOffsetText" | "forkSubOffset" | "inheritEnd"> {
  const own = request.ttlSeconds !== undefined || request.expiresAt !== undefined;
  const ttlSeconds = own ? request.ttlSeconds : grant.ttlSeconds;
  const expiresAt = own ? request.expiresAt : grant.expiresAt;
  return {
    contentType: request.contentTypeGiven ? request.contentType : grant.contentType,
    ...(ttlSeconds === undefined ? {} : { ttlSeconds }),
    ...(expiresAt === undefined ? {} : { expiresAt: expiresAt.text, expiresAtMs: expiresAt.ms }),
    forkedFrom: request.fork!.source,
    ...(request.fork!.offsetText === undefined ? {} : { forkOffsetText: request.fork!.offsetText }),
    forkSubOffset: request.fork!.subOffset,
    inheritEnd: grant.inheritEnd,
  };
}
