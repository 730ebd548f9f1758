// The topic a Durable Stream is registered as: a one-partition topic in the reserved namespace `__ds.`, its name the
// stream's path in a reversible encoding that follows Kafka's topic-name rules (DS paths may hold any character,
// slashes included). ASCII letters and digits stay as they are, '/' becomes '-', and every other UTF-8 byte ('-', '.'
// and '_' included) becomes '_' and two upper-case hex digits: `jobs/log` is `__ds.jobs-log`, `a.b` is `__ds.a_2Eb`.
// The encoded part never holds '.', so no two streams' topics collide under Kafka's '.'/'_' rule. A leaf.
import { MAX_TOPIC_NAME_LENGTH } from "../limits";

export const STREAM_TOPIC_PREFIX = "__ds.";

/** A stream's path may be at most this long once encoded (the topic-name limit less the prefix). */
export const MAX_ENCODED_STREAM_NAME = MAX_TOPIC_NAME_LENGTH - STREAM_TOPIC_PREFIX.length;

const KEPT = /^[A-Za-z0-9]$/;
const utf8 = new TextEncoder();

/** The stream's topic name, or undefined when its encoding is longer than a topic name may be. */
export function streamTopicName(stream: string): string | undefined {
  let out = "";
  for (const byte of utf8.encode(stream)) {
    const char = String.fromCharCode(byte);
    out += byte < 0x80 && KEPT.test(char) ? char : char === "/" ? "-" : `_${byte.toString(16).toUpperCase().padStart(2, "0")}`;
    if (out.length > MAX_ENCODED_STREAM_NAME) return undefined;
  }
  return STREAM_TOPIC_PREFIX + out;
}

/** Whether a topic name is in the streams' namespace (also the names a user may not create: '.' and '_' collide). */
export function isStreamTopic(topic: string): boolean {
  return topic.startsWith(STREAM_TOPIC_PREFIX) || topic.startsWith("__ds_");
}

/** The stream a topic name stands for, or undefined when it is not a well-formed stream topic name. */
export function streamOfTopic(topic: string): string | undefined {
  if (!topic.startsWith(STREAM_TOPIC_PREFIX)) return undefined;
  const encoded = topic.slice(STREAM_TOPIC_PREFIX.length);
  const bytes: number[] = [];
  for (let i = 0; i < encoded.length; i++) {
    const char = encoded[i]!;
    if (char === "-") bytes.push(0x2f);
    else if (char === "_") {
      const hex = encoded.slice(i + 1, i + 3);
      if (!/^[0-9A-F]{2}$/.test(hex)) return undefined;
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else if (KEPT.test(char)) bytes.push(char.charCodeAt(0));
    else return undefined;
  }
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(new Uint8Array(bytes));
  } catch {
    return undefined;
  }
}
