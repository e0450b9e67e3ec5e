/**
 * Reads CloudWatch with GetMetricData: every page (NextToken), at most 500 queries per call, each result
 * as period start → value. AWS errors are classified (throttling → AwsThrottled, retried by the state
 * machine); a query CloudWatch could not answer is an error too, never an empty series.
 */
import { GetMetricDataCommand, type MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import { cloudWatchClient } from '../../aws/cloudwatch';
import { AwsUnavailable, ConfigurationError, awsCall } from '../../errors';
import { QUERIES_PER_CALL, type SeriesById } from './queries';

export async function readMetricData(queries: readonly MetricDataQuery[], startMs: number, endMs: number): Promise<SeriesById> {
  const series = new Map<string, Map<number, number>>();
  for (const query of queries) series.set(query.Id as string, new Map());
  if (queries.length === 0 || endMs <= startMs) return series;
  for (let i = 0; i < queries.length; i += QUERIES_PER_CALL) {
    const chunk = queries.slice(i, i + QUERIES_PER_CALL);
    let nextToken: string | undefined;
    do {
      const page = await awsCall('GetMetricData', () =>
        cloudWatchClient().send(
          new GetMetricDataCommand({
            MetricDataQueries: chunk,
            StartTime: new Date(startMs),
            EndTime: new Date(endMs),
            ScanBy: 'TimestampAscending',
            NextToken: nextToken,
          }),
        ),
      );
      for (const result of page.MetricDataResults ?? []) {
        const id = result.Id ?? '';
        if (result.StatusCode === 'InternalError') {
          throw new AwsUnavailable(`GetMetricData: CloudWatch could not compute ${result.Label ?? id}: ${messagesOf(result.Messages)}`);
        }
        if (result.StatusCode === 'Forbidden') {
          throw new ConfigurationError(`GetMetricData: not allowed to read ${result.Label ?? id}: ${messagesOf(result.Messages)}`);
        }
        const values = series.get(id) ?? new Map<number, number>();
        series.set(id, values);
        const timestamps = result.Timestamps ?? [];
        timestamps.forEach((timestamp, k) => {
          const value = result.Values?.[k];
          if (value !== undefined) values.set(new Date(timestamp).getTime(), value);
        });
      }
      nextToken = page.NextToken;
    } while (nextToken !== undefined);
  }
  return series;
}

function messagesOf(messages: ReadonlyArray<{ Code?: string; Value?: string }> | undefined): string {
  const text = (messages ?? []).map((m) => [m.Code, m.Value].filter(Boolean).join(': ')).join('; ');
  return text === '' ? 'no reason given' : text;
}
