// What a view gets: its element, the route's parameters, and a signal that aborts (stopping timers, fetches and
// streams) when the reader navigates away.
export interface ViewContext {
  root: HTMLElement;
  params: string[];
  signal: AbortSignal;
  /** Runs `fn` now and every `ms` until the view is left; a run never overlaps the previous one. */
  every(ms: number, fn: () => Promise<void>): void;
}

export type View = (ctx: ViewContext) => void | Promise<void>;
