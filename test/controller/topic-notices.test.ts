// A topic-change notice to a group coordinator that fails stays on record (pending_topic_notices) and the controller's
// alarm delivers it later (controller/notices.ts). The first delivery fails for a real reason: the subscription's
// coordinator starts the new partition's delivery object, which reads where to start from that partition, whose
// replica is down (its fault switch); once the replica is back, the alarm's retry starts it and records flow.
import { env } from "cloudflare:workers";
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { Controller } from "../../src/controller/Controller";
import { controllerStub, partitionLogStub } from "../../src/names";
import { RECORD_NOTICE_SQL } from "../../src/controller/notices";
import { api, createTopic, produceTo, records, uniqueTopic } from "../helpers";
import { deliveries, subscribe, untilDelivered } from "../subscription/helpers";

const controller = () => controllerStub(env);
const pendingNotices = () => runInDurableObject(controller(), (_c: Controller, state) => state.storage.sql.exec<{ group_id: string }>("SELECT group_id FROM pending_topic_notices").toArray().map((r) => r.group_id));

describe("topic-change notices to group coordinators", () => {
  it("a notice the coordinator failed is retried by the controller's alarm until delivered", async () => {
    const t = uniqueTopic("tn");
    await createTopic(t, 1);
    const name = uniqueTopic("s");
    await subscribe({ name, topics: [t], maxBatchSize: 5 });
    const topicId = (await api("GET", `/v1/topics/${t}`)).body.topicId;
    // The partition about to be added is down before it is ever used: reading its start offset fails.
    await partitionLogStub(env, topicId, 1, 0).setFault(true);
    expect(await controller().addPartitions(t, 2)).toMatchObject({ ok: true });
    expect(await pendingNotices()).toContain(name);
    // Still owed while the cause lasts: a retry that fails keeps it.
    await runDurableObjectAlarm(controller());
    expect(await pendingNotices()).toContain(name);
    await partitionLogStub(env, topicId, 1, 0).setFault(false);
    await runDurableObjectAlarm(controller());
    expect(await pendingNotices()).not.toContain(name);
    // The retried notice started partition 1's delivery object: its records arrive.
    expect((await produceTo(t, 1, records(3))).status).toBe(200);
    await untilDelivered(name, (list) => list.some((d) => d.partition === 1 && d.outcome.kind === "ack" && d.offsets.includes(2)));
    expect((await deliveries(name)).filter((d) => d.partition === 1).flatMap((d) => d.offsets)).toEqual([0, 1, 2]);
  });

  it("a notice put on record again with an older version keeps the newer one pending (an announce that read its rows before an await)", async () => {
    const t = uniqueTopic("tn-order");
    await createTopic(t, 1);
    const topicId = (await api("GET", `/v1/topics/${t}`)).body.topicId;
    // The replica is down, so the config change's notice stays on record.
    await partitionLogStub(env, topicId, 0, 0).setFault(true);
    expect((await api("PATCH", `/v1/topics/${t}`, { config: { "retention.ms": "60000" } })).status).toBe(200);
    const pending = () => runInDurableObject(controller(), (_c: Controller, state) => state.storage.sql.exec<{ version: number }>("SELECT version FROM pending_notifications WHERE topic_id = ?", topicId).toArray().map((r) => r.version));
    const [newer] = await pending();
    expect(newer).toBeGreaterThan(1);
    await runInDurableObject(controller(), (_c: Controller, state) => void state.storage.sql.exec(RECORD_NOTICE_SQL, topicId, 0, 0, newer! - 1));
    expect(await pending()).toEqual([newer]);
    await partitionLogStub(env, topicId, 0, 0).setFault(false);
    await runDurableObjectAlarm(controller());
    expect(await pending()).toEqual([]);
  });
});
