// CPU accounting for a benchmark window: how many cores Node (the load generator) and workerd (the server)
// used. On a small box both share the cores, so this shows which side a figure is bound by.

import { execFileSync } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";

/**
 * Returns sample() -> { nodeSec, workerdSec } cumulative CPU seconds. workerd is found as our child
 * process via /proc, so workerdSec is null off Linux.
 */
export function cpuSampler() {
  const pids = childPids("workerd");
  const hz = clockTicks();
  const workerdSec = () => {
    if (pids.length === 0) return null;
    let ticks = 0;
    for (const pid of pids) {
      const stat = procStat(pid);
      if (stat) ticks += Number(stat.fields[11]) + Number(stat.fields[12]); // utime + stime
    }
    return ticks / hz;
  };
  return () => {
    const { user, system } = process.cpuUsage();
    return { nodeSec: (user + system) / 1e6, workerdSec: workerdSec() };
  };
}

/** Cores used between two samples over `elapsedMs` of wall time. */
export function coresUsed(before, after, elapsedMs) {
  const s = elapsedMs / 1000;
  return {
    node: (after.nodeSec - before.nodeSec) / s,
    workerd: before.workerdSec === null || after.workerdSec === null ? null : (after.workerdSec - before.workerdSec) / s,
  };
}

// /proc/<pid>/stat is "pid (comm) state ppid ..."; comm may contain spaces, so split after the last ")".
// In the returned fields, index 0 is state, 1 ppid, 11 utime, 12 stime (stat fields 3, 4, 14, 15).
function procStat(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    const close = text.lastIndexOf(")");
    return { comm: text.slice(text.indexOf("(") + 1, close), fields: text.slice(close + 2).split(" ") };
  } catch {
    return null; // the process went away
  }
}

function childPids(name) {
  let entries;
  try {
    entries = readdirSync("/proc").filter((e) => /^\d+$/.test(e));
  } catch {
    return [];
  }
  return entries.filter((pid) => {
    const stat = procStat(pid);
    return stat !== null && stat.comm === name && Number(stat.fields[1]) === process.pid;
  });
}

function clockTicks() {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  } catch {
    return 100; // USER_HZ is 100 on practically every Linux build
  }
}
