import { describe, expect, it } from "vitest";
import { exports } from "cloudflare:workers";
import { api, createTopic, fetchFrom, produceTo, uniqueTopic } from "../helpers";

describe("probe", () => {
  it("cjk rows", async () => {
    const t = uniqueTopic();
    await createTopic(t);
    const v = "中".repeat(100_000);
    const p = await produceTo(t, 0, Array.from({ length: 10 }, () => ({ value: v })));
    console.log("cjk", p.status, JSON.stringify(p.body).slice(0, 300));
    const d = await api("GET", `/v1/topics/${t}`);
    console.log("cjk describe", JSON.stringify(d.body.partitions));
  });
  it("escape blowup", async () => {
    const t = uniqueTopic();
    await createTopic(t);
    const v = "\u0001".repeat(1_048_588);
    const p = await produceTo(t, 0, [{ value: v }]);
    console.log("esc", p.status, JSON.stringify(p.body).slice(0, 300));
    const v2 = '"'.repeat(1_048_588);
    const p2 = await produceTo(t, 0, [{ value: v2 }]);
    console.log("quote", p2.status, JSON.stringify(p2.body).slice(0, 300));
  });
  it("percent", async () => {
    for (const path of ["/v1/topics/%ZZ", "/v1/topics/%E0%A4%A", "/v1/topics/a%2Fb", "/v1/topics/%2E", "/v1/topics/..", "/v1/topics/a%20b/partitions/0/records", "/v1/topics/x/partitions/%ZZ/records"]) {
      const r = await api("GET", path);
      console.log(path, r.status, JSON.stringify(r.body).slice(0, 200));
    }
    const r = await api("POST", "/v1/topics", "{\"name\":\"x\"}", { "content-length": "999999999" });
    console.log("cl", r.status, JSON.stringify(r.body));
    const resp = await exports.default.fetch(new Request("http://x/v1/topics", { method: "POST", body: new Uint8Array([0x7b, 0xff, 0x7d]), headers: { "content-type": "application/json" } }));
    console.log("utf8", resp.status, await resp.text());
    const r2 = await api("POST", "/v1/topics", "", {});
    console.log("empty", r2.status, JSON.stringify(r2.body));
    const r3 = await api("POST", "/v1/topics");
    console.log("nobody", r3.status, JSON.stringify(r3.body));
    const r4 = await api("GET", "/v1/topics/x/partitions/0/records?offset=1&offset=2");
    console.log("rep", r4.status, JSON.stringify(r4.body));
    const r5 = await api("PUT", "/v1/topics");
    console.log("put", r5.status, JSON.stringify(r5.body));
  });
});
