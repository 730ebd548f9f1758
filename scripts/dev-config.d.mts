// Types for dev-config.mjs, so TypeScript tests can import it (the project does not enable allowJs).

export declare const DEV_CONFIG: string;
export declare const CONSUMER_CONFIG: string;
export declare const CONSUMER_BINDING: string;
export declare const CONSUMER_ENTRYPOINT: string;
export declare const DEFAULT_PERSIST_TO: string;

export declare function flagValues(args: string[], flags: string[], options?: { array?: boolean }): string[];
export declare function hasFlag(args: string[], flags: string[]): boolean;
export declare function consumerName(root: string): string;
export declare function devConfigText(root: string): string;
export declare function parseDotenv(text: string): Record<string, string>;

export interface VarsInForce {
  vars: Record<string, string>;
  /** Where each variable's value came from: "wrangler.toml [vars]", ".dev.vars", an env file, "--var". */
  from: Record<string, string>;
}

export declare function varsInForce(root: string, args: string[], processEnv?: Record<string, string | undefined>): VarsInForce;
export declare function authIsOff(vars: Record<string, string>): boolean;
export declare function banner(options: { url: string; persistTo: string; consumer: string } & VarsInForce): string;
