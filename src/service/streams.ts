// Durable Streams (src/streams/): the calls the DS HTTP handler makes, each to the stream's own object. Outcomes come
// back as plain data (refusals included: DS answers its own status codes, src/streams/protocol.ts). A create first
// registers the stream's topic with the controller (src/log/stream-topic.ts): one round trip, on create only.
import type { Env } from "../env";
import { unwrap, type Result } from "../errors";
import type { TopicMetadata } from "../protocol";
import { controllerStub, durableStreamStub } from "../names";
import { forget, remember } from "./metadata";
import type {
  AppendOutcome,
  AppendStreamRequest,
  CreateOutcome,
  CreateStreamRequest,
  DeleteOutcome,
  HeadOutcome,
  ReadOutcome,
  ReadStreamRequest,
} from "../streams/protocol";

/** Registers the topic (or finds it registered), then creates the stream in its object with the topic's id. A refused
 *  create that registered the topic lets it go again. */
export async function createStream(env: Env, stream: string, topic: string, request: CreateStreamRequest): Promise<CreateOutcome> {
  const controller = controllerStub(env);
  const made = (await controller.createTopic({ name: topic, partitions: 1, replicationFactor: 1, placement: [], config: {} })) as Result<TopicMetadata>;
  const meta = made.ok || made.error.type !== "TOPIC_ALREADY_EXISTS" ? unwrap(made) : unwrap(await controller.getTopic(topic));
  remember(meta);
  const outcome = (await durableStreamStub(env, stream).create({ ...request, topicId: meta.topicId })) as CreateOutcome;
  // A concurrent create may have adopted the topic this one registered before this one was refused: keep it then.
  if (outcome.refused && made.ok && !(await durableStreamStub(env, stream).holdsTopic(meta.topicId))) {
    await controller.deleteTopicById(meta.topicId);
    forget(topic);
  }
  return outcome;
}

export function appendStream(env: Env, stream: string, request: AppendStreamRequest): Promise<AppendOutcome> {
  return durableStreamStub(env, stream).appendStream(request) as Promise<AppendOutcome>;
}

export function readStream(env: Env, stream: string, request: ReadStreamRequest): Promise<ReadOutcome> {
  return durableStreamStub(env, stream).readStream(request) as Promise<ReadOutcome>;
}

export function headStream(env: Env, stream: string): Promise<HeadOutcome> {
  return durableStreamStub(env, stream).head() as Promise<HeadOutcome>;
}

/** The object lets go of the stream's topic itself (so does an expiry); the router forgets its cached metadata. */
export async function deleteStream(env: Env, stream: string, topic: string): Promise<DeleteOutcome> {
  const outcome = (await durableStreamStub(env, stream).remove()) as DeleteOutcome;
  forget(topic);
  return outcome;
}
