// Durable Streams (src/streams/): the calls the DS HTTP handler makes, each to the stream's own object. Outcomes come
// back as plain data (refusals included: DS answers its own status codes, src/streams/protocol.ts).
import type { Env } from "../env";
import { durableStreamStub } from "../names";
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

export function createStream(env: Env, stream: string, request: CreateStreamRequest): Promise<CreateOutcome> {
  return durableStreamStub(env, stream).create(request) as Promise<CreateOutcome>;
}

export function appendStream(env: Env, stream: string, request: AppendStreamRequest): Promise<AppendOutcome> {
  return durableStreamStub(env, stream).append(request) as Promise<AppendOutcome>;
}

export function readStream(env: Env, stream: string, request: ReadStreamRequest): Promise<ReadOutcome> {
  return durableStreamStub(env, stream).read(request) as Promise<ReadOutcome>;
}

export function headStream(env: Env, stream: string): Promise<HeadOutcome> {
  return durableStreamStub(env, stream).head() as Promise<HeadOutcome>;
}

export function deleteStream(env: Env, stream: string): Promise<DeleteOutcome> {
  return durableStreamStub(env, stream).remove() as Promise<DeleteOutcome>;
}
