/** Types of scripts/edge-artefact.cjs for the TypeScript that runs the deployed edge function. */
export declare const EDGE_FUNCTION: string;
export declare function edgeArtefact(source?: string): string;
