// Live tail: follows one partition, or every partition of a small topic, from the high watermark on, over the API's
// WebSocket tail (the token goes as a subprotocol, since a browser's WebSocket cannot send Authorization; docs/api.md)
// and over SSE (read with fetch so the token goes along) where a socket cannot be opened. Each frame is acknowledged
// once shown. Pause stops reading and remembers where; resume goes on from there, so nothing is skipped. The page keeps
// the newest MAX_ROWS rows.
import { tailProtocols } from "../../src/log/tail-subprotocol";
import { api, ApiError, asShown, authHeaders, enc, failure, token, type TopicDescription, type TopicSummary } from "./api";
import { errorBox, field, h, loading, replace, select } from "./dom";
import { bounded, errorFrom, type FetchedRecord } from "./format";
import { recordTable, type Row } from "./record";
import { SseParser } from "./sse";
import type { ViewContext } from "./view";

export const MAX_ROWS = 500;
/** Browsers open about six HTTP/1.1 connections per host; "all" streams each partition, so only for small topics. */
const MAX_STREAMS = 4;
/** After the server closed a socket (its session ended, the leader moved), wait this long before reconnecting. */
const RECONNECT_MS = 250;

type OnRecords = (records: FetchedRecord[], next: number) => void;

/** Follows one partition from `from` until `signal` aborts: over WebSocket tails, reconnecting when the server closes
 *  one; over SSE once a socket could not be opened (an HTTP error, say, is then shown as SSE's answer carries it). */
async function follow(topic: string, partition: number, from: number, signal: AbortSignal, onRecords: OnRecords, onVia: (via: string) => void): Promise<void> {
  let next = from;
  const track: OnRecords = (records, n) => {
    next = n;
    onRecords(records, n);
  };
  while (!signal.aborted) {
    if ((await overSocket(topic, partition, next, signal, track, () => onVia("WebSocket"))) === "unopened") break;
    if (!signal.aborted) await new Promise((resolve) => setTimeout(resolve, RECONNECT_MS));
  }
  while (!signal.aborted) {
    onVia("SSE");
    await overSse(topic, partition, next, signal, track);
  }
}

/** One WebSocket tail until it closes: "closed" after it opened (reconnect from the last nextOffset), "unopened" when
 *  the handshake failed. A non-retriable error frame (topic deleted, offset out of range) rejects. */
function overSocket(topic: string, partition: number, from: number, signal: AbortSignal, onRecords: OnRecords, onOpen: () => void): Promise<"closed" | "unopened"> {
  return new Promise((resolve, reject) => {
    const url = new URL(`/v1/topics/${enc(topic)}/partitions/${partition}/records?offset=${from}&encoding=base64`, location.href);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    let ws: WebSocket;
    try {
      ws = new WebSocket(url, tailProtocols(token.get() ?? undefined));
    } catch {
      resolve("unopened");
      return;
    }
    let opened = false;
    const abort = () => ws.close(1000);
    signal.addEventListener("abort", abort, { once: true });
    ws.onopen = () => {
      opened = true;
      onOpen();
    };
    ws.onmessage = (e) => {
      if (typeof e.data !== "string") return;
      const frame = JSON.parse(e.data) as { records: FetchedRecord[]; nextOffset: number } | { error: { retriable?: boolean } };
      if ("error" in frame) {
        if (frame.error.retriable !== true) reject(new ApiError(errorFrom(0, frame)));
        return; // the server closes the socket next
      }
      onRecords(frame.records, frame.nextOffset);
      ws.send(JSON.stringify({ ack: frame.nextOffset }));
    };
    ws.onclose = () => {
      signal.removeEventListener("abort", abort);
      resolve(opened ? "closed" : "unopened");
    };
  });
}

/** One SSE stream until the server ends it (every 60 s). */
async function overSse(topic: string, partition: number, from: number, signal: AbortSignal, onRecords: OnRecords): Promise<void> {
  const response = await fetch(`/v1/topics/${enc(topic)}/partitions/${partition}/records?offset=${from}&encoding=base64`, {
    headers: { ...authHeaders(), accept: "text/event-stream" },
    signal,
  });
  if (!response.ok) throw await failure(response);
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  const parser = new SseParser();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    for (const event of parser.push(value)) {
      if (event.event === "records") {
        const body = JSON.parse(event.data) as { records: FetchedRecord[]; nextOffset: number };
        onRecords(body.records, body.nextOffset);
      } else if (event.event === "failure") {
        // An error inside the stream (status 200 already sent): shown without an HTTP status.
        throw new ApiError(errorFrom(0, JSON.parse(event.data)));
      }
    }
  }
}

export async function tailView({ root, params, signal }: ViewContext): Promise<void> {
  replace(root, h("h1", null, "Live tail"), loading());
  let topics: TopicSummary[];
  try {
    topics = (await api<{ topics: TopicSummary[] }>("GET", "/v1/topics", undefined, signal)).topics;
  } catch (e) {
    replace(root, h("h1", null, "Live tail"), errorBox(asShown(e)));
    return;
  }
  if (topics.length === 0) {
    replace(root, h("h1", null, "Live tail"), h("p", { class: "empty" }, "No topics to follow. ", h("a", { href: "#/topics" }, "Create one")));
    return;
  }
  const topic = select("topic", topics.map((t) => [t.name, t.name]), params[0] ?? topics[0]!.name);
  const partition = select("partition", []);
  const syncPartitions = () => {
    const count = topics.find((t) => t.name === topic.value)?.partitionCount ?? 1;
    const options: [string, string][] = Array.from({ length: count }, (_, i) => [String(i), `partition ${i}`]);
    if (count <= MAX_STREAMS) options.unshift(["all", "all partitions"]);
    replace(partition, options.map(([v, t]) => h("option", { value: v }, t)));
  };
  topic.addEventListener("change", syncPartitions);
  syncPartitions();
  const start = h("button", { type: "submit" }, "Start");
  const pause = h("button", { type: "button", disabled: true }, "Pause");
  const stop = h("button", { type: "button", disabled: true }, "Stop");
  const status = h("p", { class: "muted", role: "status" }, "Stopped.");
  const errors = h("div");
  const out = h("div");
  const form = h("form", { class: "inline-form card", "aria-label": "Follow a topic" }, field("Topic", topic), field("Partition", partition), start, pause, stop);
  replace(root, h("h1", null, "Live tail"), form, status, errors, out, h("p", { class: "muted small" }, `Keeps the newest ${MAX_ROWS} records.`));

  let rows: Row[] = [];
  let running: AbortController | undefined;
  /** Where each followed partition goes on from (kept across pause and resume). */
  let positions = new Map<number, number>();
  let followed = "";
  let count = 0;
  let renderQueued = false;
  const render = () => {
    if (renderQueued) return;
    renderQueued = true;
    requestAnimationFrame(() => {
      renderQueued = false;
      replace(out, recordTable(followed, [...rows].reverse(), (t) => (status.textContent = t)));
    });
  };
  const run = () => {
    running?.abort();
    const controller = new AbortController();
    running = controller;
    signal.addEventListener("abort", () => controller.abort(), { once: true });
    let via = "";
    const show = () => (status.textContent = `Following ${followed}${via}: ${count.toLocaleString()} records so far.`);
    status.textContent = `Following ${followed} (${[...positions.keys()].map((p) => `p${p}`).join(", ")}): ${count.toLocaleString()} records so far.`;
    for (const [p, from] of positions) {
      const onRecords = (records: FetchedRecord[], next: number) => {
        positions.set(p, next);
        count += records.length;
        rows = bounded([...rows, ...records.map((record) => ({ partition: p, record }))], MAX_ROWS);
        show();
        render();
      };
      const onVia = (v: string) => {
        if (via === ` over ${v}`) return;
        via = ` over ${v}`;
        show();
      };
      follow(followed, p, from, controller.signal, onRecords, onVia).catch((e) => {
        if (controller.signal.aborted) return;
        controller.abort();
        replace(errors, errorBox(asShown(e)));
        status.textContent = "Stopped by an error.";
        pause.disabled = true;
        start.disabled = false;
      });
    }
  };
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    void (async () => {
      replace(errors);
      try {
        const d = await api<TopicDescription>("GET", `/v1/topics/${enc(topic.value)}`, undefined, signal);
        const ps = partition.value === "all" ? d.partitions : d.partitions.filter((p) => p.partition === Number(partition.value));
        followed = d.name;
        positions = new Map(ps.map((p) => [p.partition, p.highWatermark]));
        rows = [];
        count = 0;
        render();
        run();
        start.disabled = true;
        pause.disabled = false;
        pause.textContent = "Pause";
        stop.disabled = false;
      } catch (e) {
        replace(errors, errorBox(asShown(e)));
      }
    })();
  });
  pause.addEventListener("click", () => {
    if (running && !running.signal.aborted) {
      running.abort();
      pause.textContent = "Resume";
      status.textContent = `Paused at ${[...positions].map(([p, o]) => `p${p} offset ${o.toLocaleString()}`).join(", ")}.`;
    } else {
      pause.textContent = "Pause";
      run();
    }
  });
  stop.addEventListener("click", () => {
    running?.abort();
    start.disabled = false;
    pause.disabled = true;
    stop.disabled = true;
    pause.textContent = "Pause";
    status.textContent = "Stopped.";
  });
}
