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
