// The registry's changes, numbered and told to the controller (controller/schema-changes.ts), which gives each topic
// validating against the subject a new metadata version: routers then re-read what they cached from the registry on
// their next produce to the topic, and never before (service/schema-validation.ts). The generation counts every change
// that can alter what validation accepts (a version registered or deleted, a subject deleted); a notice is on record
// with the change itself and removed once the controller answered, and the alarm retries what failed every
// SUBJECT_NOTICE_RETRY_MS, so every change reaches the controller.
import type { Env } from "../env";
import { controllerStub } from "../names";

/** How soon the alarm tells the controller again of a change it could not be told (as controller/notices.ts). */
export const SUBJECT_NOTICE_RETRY_MS = 10_000;

export const SUBJECT_NOTICES_SCHEMA = [
  `CREATE TABLE IF NOT EXISTS generation (id INTEGER PRIMARY KEY CHECK (id = 0), generation INTEGER NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS pending_subject_notices (subject TEXT PRIMARY KEY, generation INTEGER NOT NULL)`,
];

export class SubjectNotices {
  constructor(
    private readonly sql: SqlStorage,
    private readonly env: Env,
    private readonly storage: DurableObjectStorage,
  ) {
    for (const statement of SUBJECT_NOTICES_SCHEMA) sql.exec(statement);
  }

  /** The number of the latest change (0: none yet); produce validation caches an answer with it. */
  current(): number {
    return this.sql.exec<{ generation: number }>("SELECT generation FROM generation").toArray()[0]?.generation ?? 0;
  }

  /**
   * Numbers a change to `subject` and puts its notice on record; call it in the same turn as the change, so both
   * commit together. The caller then awaits tell().
   */
  changed(subject: string): number {
    const generation = this.current() + 1;
    this.sql.exec("INSERT INTO generation (id, generation) VALUES (0, ?) ON CONFLICT (id) DO UPDATE SET generation = excluded.generation", generation);
    this.sql.exec("INSERT INTO pending_subject_notices (subject, generation) VALUES (?, ?) ON CONFLICT (subject) DO UPDATE SET generation = excluded.generation", subject, generation);
    return generation;
  }

  /** Tells the controller of a change; on failure the alarm tries again. */
  async tell(subject: string, generation: number): Promise<void> {
    await this.storage.setAlarm(Date.now() + SUBJECT_NOTICE_RETRY_MS);
    await this.send(subject, generation);
  }

  /** The alarm: tells every notice still on record, oldest first; answers how many are left. */
  async retry(): Promise<number> {
    const pending = this.sql.exec<{ subject: string; generation: number }>("SELECT subject, generation FROM pending_subject_notices ORDER BY generation").toArray();
    for (const notice of pending) await this.send(notice.subject, notice.generation);
    return this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM pending_subject_notices").one().n;
  }

  private async send(subject: string, generation: number): Promise<void> {
    try {
      await controllerStub(this.env).schemaChanged(subject, generation);
      this.sql.exec("DELETE FROM pending_subject_notices WHERE subject = ? AND generation <= ?", subject, generation);
    } catch (error) {
      console.error(`telling the controller subject ${subject} changed (generation ${generation}) failed (retried): ${String(error)}`);
    }
  }
}
