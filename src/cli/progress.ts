// The progress line of long produce and consume runs: records so far and records/s, redrawn on stderr at most
// twice a second, and only when stderr is a terminal (never in pipes, files or CI logs).

const REDRAW_MS = 500;
/** Short runs finish before the line would help. */
const FIRST_DRAW_MS = 1_000;

export class Progress {
  private count = 0;
  private readonly startMs = Date.now();
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly verb: string,
    private readonly stream: NodeJS.WriteStream,
  ) {
    if (!stream.isTTY) return;
    this.timer = setInterval(() => {
      if (Date.now() - this.startMs >= FIRST_DRAW_MS) this.draw();
    }, REDRAW_MS);
    this.timer.unref();
  }

  add(records: number): void {
    this.count += records;
  }

  get records(): number {
    return this.count;
  }

  /** records per second since the start. */
  rate(): number {
    const seconds = (Date.now() - this.startMs) / 1000;
    return seconds > 0 ? this.count / seconds : 0;
  }

  /** Clears the line. */
  done(): void {
    if (this.timer === undefined) return;
    clearInterval(this.timer);
    this.timer = undefined;
    this.stream.write("\r\x1b[K");
  }

  private draw(): void {
    this.stream.write(`\r\x1b[K${this.verb} ${this.count.toLocaleString("en-US")} records (${Math.round(this.rate()).toLocaleString("en-US")} records/s)`);
  }
}
