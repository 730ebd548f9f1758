// Test helpers for WebSocket tails (src/tail.ts) through the real Worker: a client tail that collects frames, the
// upgrade request, and the partition's stub.
import { env, exports } from "cloudflare:workers";
import { partitionLogStub } from "../../src/names";
import { TAIL_PING, TAIL_PONG } from "../../src/tail";
import { api } from "../helpers";

/** A client's tail: frames as they arrive, awaited one at a time; the close code once closed. */
export class TestTail {
  readonly frames: any[] = [];
  private taken = 0;
  private notify: (() => void) | undefined;
  closed: { code: number; reason: string } | undefined;
  private pongs = 0;

  constructor(readonly ws: WebSocket) {
    ws.accept();
    ws.addEventListener("message", (e) => {
      const data = String(e.data);
      if (data === TAIL_PONG) this.pongs++;
      else this.frames.push(JSON.parse(data));
      this.poke();
    });
    ws.addEventListener("close", (e) => {
      this.closed = { code: e.code, reason: e.reason };
      this.poke();
    });
  }

  private poke() {
    const n = this.notify;
    this.notify = undefined;
    n?.();
  }

  private async until(done: () => boolean, what: string): Promise<void> {
    while (!done()) {
      if (this.closed !== undefined) throw new Error(`closed (${this.closed.code} ${this.closed.reason}) while waiting for ${what}`);
      await new Promise<void>((resolve) => (this.notify = resolve));
    }
  }

  /** The next frame not yet taken. */
  async next(): Promise<any> {
    await this.until(() => this.frames.length > this.taken, "a frame");
    return this.frames[this.taken++];
  }

  /** Values of frames taken until `count` records have arrived. */
  async values(count: number): Promise<string[]> {
    const out: string[] = [];
    while (out.length < count) out.push(...(await this.next()).records.map((r: any) => r.value));
    return out;
  }

  /** Round-trips a ping: every frame the object sent before it has arrived. */
  async settle(): Promise<void> {
    const want = this.pongs + 1;
    this.ws.send(TAIL_PING);
    await this.until(() => this.pongs >= want, "a pong");
  }

  async closing(): Promise<{ code: number; reason: string }> {
    while (this.closed === undefined) await new Promise<void>((resolve) => (this.notify = resolve));
    return this.closed;
  }
}

export async function tail(topic: string, query: Record<string, string | number> = {}, partition = 0): Promise<TestTail> {
  const r = await upgrade(topic, query, partition);
  if (r.status !== 101) throw new Error(`tail: ${r.status} ${await r.text()}`);
  return new TestTail(r.webSocket!);
}

export function upgrade(topic: string, query: Record<string, string | number> = {}, partition = 0): Promise<Response> {
  const qs = new URLSearchParams(Object.entries(query).map(([k, v]) => [k, String(v)])).toString();
  return exports.default.fetch(new Request(`http://edgelog.test/v1/topics/${topic}/partitions/${partition}/records${qs ? `?${qs}` : ""}`, { headers: { upgrade: "websocket" } }));
}

export async function partitionStub(topic: string) {
  const meta = (await api("GET", `/v1/topics/${topic}`)).body;
  return partitionLogStub(env, meta.topicId, 0);
}

