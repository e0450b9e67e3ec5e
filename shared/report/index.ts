/** A rollout report of one execution, read from AWS (or the simulated world) and rendered as one HTML page. */
import { renderReport } from './html';
import { readReportData } from './read';

export async function buildReport(executionArn: string, executionName: string): Promise<string> {
  return renderReport(await readReportData(executionArn, executionName));
}
