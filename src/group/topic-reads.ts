// A consumer group's reads of its topics' metadata from the controller: one at a time (heartbeats arriving meanwhile
// share it), naming the group so the controller tells it when one of the topics changes (topicsChanged). A read that
// a change notice overlapped may have been answered before the change, so it does not count as fresh.
import type { Env } from "../env";
import { controllerStub } from "../names";
import type { TopicSnapshot } from "./group-state";

export class TopicReads {
  private running: Promise<void> | undefined;
  /** Topic-change notices received: a read that overlapped one does not count as fresh. */
  private notices = 0;

  constructor(
    private readonly env: Env,
    private readonly now: () => number,
  ) {}

  /** The controller said a topic changed. */
  noticed(): void {
    this.notices++;
  }

  /** Reads the topics and hands them over with the time they count as read (0: keep the refresh due). */
  read(groupId: string, names: string[], apply: (topics: Record<string, TopicSnapshot>, refreshedMs: number) => void): Promise<void> {
    this.running ??= (async () => {
      const notices = this.notices;
      try {
        const topics = (await controllerStub(this.env).topicSnapshots(names, groupId)) as Record<string, TopicSnapshot>;
        apply(topics, this.notices === notices ? this.now() : 0);
      } finally {
        this.running = undefined;
      }
    })();
    return this.running;
  }
}
