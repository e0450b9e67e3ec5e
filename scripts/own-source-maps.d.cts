/** Types of scripts/own-source-maps.cjs for its test. */
export interface SourceMap {
  readonly version: number;
  readonly sources: string[];
  readonly names: string[];
  readonly mappings: string;
}
export declare function ownSourceMap(map: SourceMap): SourceMap;
export declare function trimSourceMapFile(path: string): void;
