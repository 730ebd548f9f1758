// Types for doctest.mjs, so the node tests can import it (the project does not enable allowJs).
export declare const ROOT: string;
export declare const SHELL_LANGUAGES: Set<string>;
export declare const TS_LANGUAGES: Set<string>;

export interface Line {
  /** 0-based line of the document. */
  line: number;
  text: string;
}

export interface Block {
  lang: string;
  info: string;
  markers: { run: boolean; skip: boolean; compile: boolean; reason: string; node: boolean };
  /** 0-based line of the opening fence. */
  fence: number;
  close: number;
  indent: string;
  body: Line[];
  prelude?: { kind: "prelude"; line: number; body: Line[] };
  setup?: { kind: "setup"; line: number; body: Line[] };
  /** A ts doc-run snippet's output: the ```text block after it. */
  output?: Block;
  isOutput?: boolean;
}

export interface Command {
  command: string;
  line: number;
  lastLine: number;
  output: Line[];
}

/** README.md and docs/*.md, repository-relative. */
export declare function documents(): string[];
export declare function parseBlocks(text: string): Block[];
export declare function commandsOf(body: Line[]): Command[];
export declare function pattern(expected: string): { regex: RegExp; shown: string[] };
export declare function tidy(text: string): string;
/** On a match, each placeholder value shown → the real one. */
export declare function compare(expected: string, actual: string): { ok: false } | { ok: true; values: Map<string, string> };
/** Real placeholder value → the value shown in the same place (docs:update keeps shown ids). */
export declare function alignPlaceholders(expected: string, actual: string): Map<string, string>;
export declare function normalise(text: string): string;
export declare function markingErrors(doc: string, blocks: Block[]): string[];
