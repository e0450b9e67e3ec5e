/**
 * The AWS world a scenario describes: the function with its current and new versions, the alias on the
 * current one, and the metric alarms on Lambda's metrics for the traffic each one watches.
 */
import type { AlarmQuery, MetricStat } from './world/cloudwatch';
import type { Dimensions } from './world/metrics';
import { AwsWorld } from './world';
import { LAMBDA_NAMESPACE, type TrafficModel, type TrafficTarget } from './traffic';
import { statisticOf, type AlarmSpec, type Scenario } from './scenario';

/** The function's name from a name or an unqualified ARN. */
export function functionNameOf(nameOrArn: string): string {
  return /:function:([^:]+)$/.exec(nameOrArn)?.[1] ?? nameOrArn;
}

export function trafficTargetOf(scenario: Scenario): TrafficTarget {
  const { target } = scenario;
  return {
    functionName: functionNameOf(target.functionName),
    alias: target.alias,
    baselineVersion: scenario.baselineVersion,
    canaryVersion: target.version,
  };
}

export function trafficModelOf(scenario: Scenario): TrafficModel {
  const { traffic } = scenario.world;
  return {
    requestsPerSecond: traffic.requestsPerSecond,
    baseline: traffic.baseline,
    canary: {
      errorPercent: traffic.canary.errorPercent ?? traffic.baseline.errorPercent,
      latencyMs: traffic.canary.latencyMs ?? traffic.baseline.latencyMs,
    },
    canaryChanges: traffic.canary.changes,
  };
}

function alarmQuery(alarm: AlarmSpec, target: TrafficTarget): AlarmQuery {
  const resource = `${target.functionName}:${target.alias}`;
  const dimensions: Dimensions =
    alarm.watches === 'all'
      ? { FunctionName: target.functionName, Resource: resource }
      : {
          FunctionName: target.functionName,
          Resource: resource,
          ExecutedVersion: alarm.watches === 'canary' ? target.canaryVersion : target.baselineVersion,
        };
  const stat = (metricName: string, statistic = statisticOf(alarm)): MetricStat => ({
    metric: { namespace: LAMBDA_NAMESPACE, metricName, dimensions },
    statistic,
  });
  if (alarm.metric === 'ErrorRate') {
    return { kind: 'percent', numerator: stat('Errors', 'Sum'), denominator: stat('Invocations', 'Sum') };
  }
  return { kind: 'metric', stat: stat(alarm.metric) };
}

export function buildWorld(scenario: Scenario): AwsWorld {
  const world = new AwsWorld();
  const target = trafficTargetOf(scenario);
  const versions = [...new Set([target.baselineVersion, target.canaryVersion])];
  world.lambda.addFunction(target.functionName, versions).addAlias(target.functionName, target.alias, target.baselineVersion);
  for (const alarm of scenario.world.alarms) {
    world.cloudwatch.defineMetricAlarm(
      {
        name: alarm.name,
        query: alarmQuery(alarm, target),
        periodSeconds: alarm.periodSeconds,
        evaluationPeriods: alarm.evaluationPeriods,
        ...(alarm.datapointsToAlarm === undefined ? {} : { datapointsToAlarm: alarm.datapointsToAlarm }),
        threshold: alarm.threshold,
        comparison: alarm.comparison,
        treatMissingData: alarm.treatMissingData,
      },
      alarm.initialState,
    );
  }
  for (const fault of scenario.faults) world.injectFault(fault);
  return world;
}
