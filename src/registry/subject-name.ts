// Confluent's subject name strategies: which subject a topic's keys or values are registered under. TopicNameStrategy
// (the default): "<topic>-key" / "<topic>-value"; RecordNameStrategy: the record's full name; TopicRecordNameStrategy:
// "<topic>-<record full name>". Pure: no I/O.

export const SUBJECT_NAME_STRATEGIES = ["TopicNameStrategy", "RecordNameStrategy", "TopicRecordNameStrategy"] as const;
export type SubjectNameStrategy = (typeof SUBJECT_NAME_STRATEGIES)[number];
export type RecordPart = "key" | "value";

/** The subject for a topic's key or value; `recordName` is needed by the record strategies (undefined: no subject). */
export function subjectName(strategy: SubjectNameStrategy, topic: string, part: RecordPart, recordName?: string): string | undefined {
  switch (strategy) {
    case "TopicNameStrategy":
      return `${topic}-${part}`;
    case "RecordNameStrategy":
      return recordName;
    case "TopicRecordNameStrategy":
      return recordName === undefined ? undefined : `${topic}-${recordName}`;
  }
}

/**
 * Whether a change to `subject` can change what `topic`'s produce validation accepts (config as the controller holds
 * it): the subject a TopicNameStrategy or json topic validates against, any subject of a TopicRecordNameStrategy
 * topic that starts with "<topic>-", and any subject at all for RecordNameStrategy (the record name picks it).
 */
export function validationUsesSubject(topic: string, config: Readonly<Record<string, string>>, subject: string): boolean {
  return (["key", "value"] as const).some((part) => {
    const mode = config[`${part}.schema.validation`] ?? "none";
    if (mode === "none") return false;
    if (mode === "json") return subject === `${topic}-${part}`;
    switch ((config[`${part}.subject.name.strategy`] ?? "TopicNameStrategy") as SubjectNameStrategy) {
      case "TopicNameStrategy":
        return subject === `${topic}-${part}`;
      case "TopicRecordNameStrategy":
        return subject.startsWith(`${topic}-`);
      case "RecordNameStrategy":
        return true;
    }
  });
}
