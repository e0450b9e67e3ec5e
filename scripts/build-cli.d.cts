/** Types of scripts/build-cli.cjs for the TypeScript that builds the coalmine command (bench/cli-start.ts). */
export declare const OUT_FILE: string;
export declare const INPUTS_FILE: string;
export declare const META_FILE: string;
/** Builds the command; resolves to the number of inputs listed. */
export declare function buildCli(): Promise<number>;
