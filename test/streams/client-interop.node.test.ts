// Interop: the Durable Streams project's own client (@durable-streams/client) against edgelog's /ds endpoint, over real
// HTTP: one client creates a stream and appends, another reads it live (SSE), disconnects, and resumes from the offset
// it had reached without seeing anything twice; a long-poll reader and an idempotent producer work too.
import { DurableStream, IdempotentProducer, stream } from "@durable-streams/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, uniqueName, waitFor, within, type TestServer } from "../client/server.node";

let server: TestServer;

beforeAll(async () => {
  server = await startServer();
});

afterAll(async () => {
  await server?.stop();
});

const urlOf = (name: string) => `${server.base}/ds/v1/stream/${name}`;

describe("@durable-streams/client against edgelog", () => {
  it("creates, appends from one client, reads live from another, and resumes from an offset after a disconnect", async () => {
    const url = urlOf(uniqueName("interop"));
    const writer = await DurableStream.create({ url, contentType: "application/json" });
    await writer.append(JSON.stringify({ n: 1 }));

    // A second client tails the stream live over SSE.
    const seen: number[] = [];
    let reached: string | undefined;
    const live = await stream<{ n: number }>({ url, offset: "-1", live: "sse" });
    live.subscribeJson(async (batch) => {
      for (const item of batch.items) seen.push(item.n);
      reached = batch.offset;
    });
    await waitFor(() => seen.length === 1, "the first message over SSE");
    await writer.append(JSON.stringify({ n: 2 }));
    // The client sends each append as one message (it wraps the value in an array, which the server flattens).
    await writer.append(JSON.stringify({ n: 3 }));
    await writer.append(JSON.stringify({ n: 4 }));
    await waitFor(() => seen.length === 4, () => `four messages live, saw ${JSON.stringify(seen)}`);
    expect(seen).toEqual([1, 2, 3, 4]);

    // The reader goes away; more is written meanwhile; it comes back from the offset it had reached.
    live.cancel();
    await live.closed.catch(() => {});
    const resumeFrom = reached!;
    expect(resumeFrom).toMatch(/^\d{16}_\d{16}$/);
    await writer.append(JSON.stringify({ n: 5 }));
    const resumed = await stream<{ n: number }>({ url, offset: resumeFrom, live: false });
    expect((await resumed.json()).map((item) => item.n)).toEqual([5]);
    const whole = await stream<{ n: number }>({ url, offset: "-1", live: false });
    expect((await whole.json()).map((item) => item.n)).toEqual([1, 2, 3, 4, 5]);
  });

  it("long-polls a byte stream, and an idempotent producer's batches arrive once, then the stream closes", async () => {
    const url = urlOf(uniqueName("interop-bytes"));
    const handle = await DurableStream.create({ url, contentType: "text/plain" });
    const chunks: string[] = [];
    const reader = await stream({ url, offset: "now", live: "long-poll" });
    reader.subscribeText(async (chunk) => {
      chunks.push(chunk.text);
    });
    const producer = new IdempotentProducer(handle, "writer-1", { lingerMs: 1 });
    producer.append("hello ");
    producer.append("world");
    await within(producer.flush(), "the producer's flush");
    await producer.close();
    await waitFor(() => chunks.join("") === "hello world", () => `the long-poll reader got ${JSON.stringify(chunks)}`);
    await within(reader.closed, "the reader ending at the closed stream's end");
    expect(reader.streamClosed).toBe(true);
    expect(await DurableStream.head({ url })).toMatchObject({ exists: true, streamClosed: true });
  });
});
