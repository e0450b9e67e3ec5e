/** Types of scripts/own-chunks.cjs for the bench and the package test, which follow a bundle's chunks. */
export interface BundleChunks {
  /** Every output file the entry reaches, relative to its folder, the entry first. */
  readonly all: string[];
  /** The ones it reaches through static imports only: what a cold start reads. */
  readonly atLoad: string[];
}
export declare function chunksOf(entry: string): BundleChunks;
