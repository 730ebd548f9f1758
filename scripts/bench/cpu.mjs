// CPU accounting for a benchmark window: how many cores Node (the load generator), workerd (the server) and
// everything else on the machine used. On a small shared box this shows which side a figure is bound by,
// and whether another process was stealing the cores while it was measured.

import { execFileSync } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";

/**
 * Returns sample() -> { nodeSec, workerdSec, machineSec, iowaitSec } cumulative CPU seconds. workerd is
 * found as our child process and machine-wide time read from /proc, so all but nodeSec are null off Linux.
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
    const machine = machineTicks();
    return {
      nodeSec: (user + system) / 1e6,
      workerdSec: workerdSec(),
      machineSec: machine === null ? null : machine.busy / hz,
      iowaitSec: machine === null ? null : machine.iowait / hz,
    };
  };
}

/** Cores used between two samples over `elapsedMs` of wall time; `other` is the rest of the machine. */
export function coresUsed(before, after, elapsedMs) {
  const s = elapsedMs / 1000;
  const delta = (k) => (before[k] === null || after[k] === null ? null : (after[k] - before[k]) / s);
  const node = delta("nodeSec");
  const workerd = delta("workerdSec");
  const machine = delta("machineSec");
  // Clamped: the three counters tick at different granularities, so tiny negatives are noise.
  const other = machine === null || workerd === null ? null : Math.max(0, machine - node - workerd);
  return { node, workerd, other, iowait: delta("iowaitSec") };
}

// Machine-wide CPU time from the first line of /proc/stat: user nice system idle iowait irq softirq steal.
// Busy excludes idle, iowait and steal (not work done here); iowait is kept apart because a figure that
// drops with both our processes idle usually means waiting on the disk.
function machineTicks() {
  try {
    const [user, nice, system, , iowait, irq, softirq] = readFileSync("/proc/stat", "utf8").split("\n", 1)[0].trim().split(/\s+/).slice(1).map(Number);
    return { busy: user + nice + system + irq + softirq, iowait };
  } catch {
    return null;
  }
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
