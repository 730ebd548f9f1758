// Kafka's topic name rules (Topic.validate): 1 to 249 characters of [a-zA-Z0-9._-], not "." or "..".
// Names that differ only by '.' versus '_' collide (Kafka's metrics would clash), so Kafka refuses the second.
import { MAX_TOPIC_NAME_LENGTH } from "../limits";

const LEGAL = /^[a-zA-Z0-9._-]+$/;

/** What is wrong with a name under these rules, if anything; `what` names it in the message (group ids follow the
 *  same rules). */
export function topicNameError(name: unknown, what = "topic name"): string | undefined {
  if (typeof name !== "string") return `${what} must be a string`;
  if (name.length === 0) return `${what} must not be empty`;
  if (name === "." || name === "..") return `${what} cannot be '${name}'`;
  if (name.length > MAX_TOPIC_NAME_LENGTH) return `${what} is ${name.length} characters, the maximum is ${MAX_TOPIC_NAME_LENGTH}`;
  if (!LEGAL.test(name)) return `${what} '${name}' is illegal: it may contain only ASCII letters, digits, '.', '_' and '-'`;
  return undefined;
}

/** Kafka's Topic.unifyCollisionChars: '.' and '_' are the same for collision checks. */
export function collisionKey(name: string): string {
  return name.replaceAll(".", "_");
}
