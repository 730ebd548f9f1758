// Deployment variables that tune edgelog (wrangler.toml [vars], .dev.vars, the test config), parsed by one rule: absent
// or empty means the default from limits.ts; anything else must be a non-negative integer, or edgelog refuses to run
// with it (an error naming the variable), since a typo silently replaced by a default is worse than a loud failure.
import type { Env } from "./env";
import {
  ACKS_ALL_TIMEOUT_MS,
  DEFAULT_HEARTBEAT_INTERVAL_MS,
  GROUP_METADATA_REFRESH_MS,
  MAX_LOCAL_PARTITION_BYTES,
  MAX_PARTITION_TAIL_CACHE_BYTES,
  MAX_SESSION_TIMEOUT_MS,
  MIN_SESSION_TIMEOUT_MS,
  PARTITION_MAINTENANCE_RETRY_MS,
  PARTITION_TAIL_CACHE_BYTES,
  REPLICA_LAG_TIME_MAX_MS,
} from "./limits";

export interface Settings {
  groupMetadataRefreshMs: number;
  groupHeartbeatIntervalMs: number;
  groupMinSessionTimeoutMs: number;
  groupMaxSessionTimeoutMs: number;
  partitionMaintenanceRetryMs: number;
  maxLocalPartitionBytes: number;
  replicaLagTimeMaxMs: number;
  acksAllTimeoutMs: number;
  partitionTailCacheBytes: number;
}

/** One variable: the default when absent or empty, else a non-negative integer (decimal digits only), at most `max`. */
export function numberSetting(value: string | undefined, name: string, fallback: number, max = Infinity): number {
  if (value === undefined || value.trim() === "") return fallback;
  const text = value.trim();
  if (!/^\d{1,16}$/.test(text)) throw new Error(`deployment variable ${name} must be a non-negative integer, got '${value.slice(0, 40)}'`);
  const n = Number(text);
  if (n > max) throw new Error(`deployment variable ${name} must be at most ${max}, got ${text}`);
  return n;
}

const cache = new WeakMap<object, Settings>();

/** The settings in force for this environment (parsed once per env object). */
export function settings(env: Env): Settings {
  let s = cache.get(env);
  if (s !== undefined) return s;
  s = {
    groupMetadataRefreshMs: numberSetting(env.GROUP_METADATA_REFRESH_MS, "GROUP_METADATA_REFRESH_MS", GROUP_METADATA_REFRESH_MS),
    groupHeartbeatIntervalMs: numberSetting(env.GROUP_HEARTBEAT_INTERVAL_MS, "GROUP_HEARTBEAT_INTERVAL_MS", DEFAULT_HEARTBEAT_INTERVAL_MS),
    groupMinSessionTimeoutMs: numberSetting(env.GROUP_MIN_SESSION_TIMEOUT_MS, "GROUP_MIN_SESSION_TIMEOUT_MS", MIN_SESSION_TIMEOUT_MS),
    groupMaxSessionTimeoutMs: numberSetting(env.GROUP_MAX_SESSION_TIMEOUT_MS, "GROUP_MAX_SESSION_TIMEOUT_MS", MAX_SESSION_TIMEOUT_MS),
    partitionMaintenanceRetryMs: numberSetting(env.PARTITION_MAINTENANCE_RETRY_MS, "PARTITION_MAINTENANCE_RETRY_MS", PARTITION_MAINTENANCE_RETRY_MS),
    maxLocalPartitionBytes: numberSetting(env.MAX_LOCAL_PARTITION_BYTES, "MAX_LOCAL_PARTITION_BYTES", MAX_LOCAL_PARTITION_BYTES),
    replicaLagTimeMaxMs: numberSetting(env.REPLICA_LAG_TIME_MAX_MS, "REPLICA_LAG_TIME_MAX_MS", REPLICA_LAG_TIME_MAX_MS),
    acksAllTimeoutMs: numberSetting(env.ACKS_ALL_TIMEOUT_MS, "ACKS_ALL_TIMEOUT_MS", ACKS_ALL_TIMEOUT_MS),
    partitionTailCacheBytes: numberSetting(env.PARTITION_TAIL_CACHE_BYTES, "PARTITION_TAIL_CACHE_BYTES", PARTITION_TAIL_CACHE_BYTES, MAX_PARTITION_TAIL_CACHE_BYTES),
  };
  cache.set(env, s);
  return s;
}
