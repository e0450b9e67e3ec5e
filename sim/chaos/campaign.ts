/**
 * Runs the chaos campaign: each case's scenario through the real simulator, one after another (the virtual
 * clock is global to the process), checked by checks.ts. `bench/chaos.ts` prints it; a jest test runs a
 * small seeded sample.
 */
import { parseScenario } from '../scenario';
import { simulate } from '../simulate';
import { violationsOf, type CaseRecord, type CaseRun } from './checks';
import { caseSeed, chaosCase, type ChaosCase } from './generate';

export async function runCase(chaos: ChaosCase): Promise<CaseRecord> {
  let run: CaseRun;
  try {
    run = { result: await simulate(parseScenario(chaos.scenario, `chaos-${chaos.seed}`)) };
  } catch (error) {
    run = { crash: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
  }
  return { chaos, run, violations: violationsOf(run) };
}

export interface CampaignOptions {
  readonly seed: number;
  readonly cases: number;
  /** Called after each case, e.g. for progress. */
  readonly onCase?: (record: CaseRecord, index: number) => void;
}

export async function runCampaign({ seed, cases, onCase }: CampaignOptions): Promise<CaseRecord[]> {
  const records: CaseRecord[] = [];
  for (let i = 0; i < cases; i += 1) {
    const record = await runCase(chaosCase(caseSeed(seed, i)));
    records.push(record);
    onCase?.(record, i);
  }
  return records;
}
