/**
 * Histories of canary executions as Step Functions records them (oldest first, with execution data), built
 * turn by turn: Preflight's output, each step's shift and bake, each analysis, and the closing event. The
 * story, status and watch tests read them through the real readers.
 */
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import type { Progress, Rollout } from '../../shared/rollout';

export interface AnalysisOutput {
  readonly verdict: 'pass' | 'fail' | 'inconclusive';
  readonly action: 'advance' | 'bake-again' | 'promote' | 'rollback';
  readonly reason: string;
  readonly checks?: readonly unknown[];
}

export class RolloutHistory {
  readonly events: HistoryEvent[] = [];
  private progress: Progress;
  /** The Wait state the step is in: Bake until the first look, WaitForNextLook in an extra bake. */
  private waiting: 'Bake' | 'WaitForNextLook' = 'Bake';

  constructor(
    private readonly rollout: Rollout,
    readonly startedAt: Date,
  ) {
    this.progress = { stepIndex: 0, extraBakes: 0, extraSeconds: 0, weight: 0, bakeSeconds: rollout.plan.steps[0]?.bakeSeconds ?? 0, lookSeconds: 0, shiftedAt: null, shifts: [] };
    this.add('ExecutionStarted', 0, { executionStartedEventDetails: { input: JSON.stringify(rollout.request), inputDetails: { truncated: false } } });
    this.enter('TaskStateEntered', 'Preflight', 1);
    this.exit('TaskStateExited', 'Preflight', 2, { rollout, progress: this.progress });
  }

  private at(seconds: number): Date {
    return new Date(this.startedAt.getTime() + seconds * 1000);
  }

  private add(type: string, seconds: number, details: Partial<HistoryEvent>): this {
    const id = this.events.length + 1;
    this.events.push({ id, previousEventId: id - 1, type: type as HistoryEvent['type'], timestamp: this.at(seconds), ...details });
    return this;
  }

  enter(type: 'TaskStateEntered' | 'WaitStateEntered' | 'PassStateEntered' | 'ChoiceStateEntered' | 'FailStateEntered' | 'SucceedStateEntered', name: string, seconds: number): this {
    return this.add(type, seconds, { stateEnteredEventDetails: { name } });
  }

  private exit(type: string, name: string, seconds: number, output: unknown): this {
    return this.add(type, seconds, { stateExitedEventDetails: { name, output: JSON.stringify(output), outputDetails: { truncated: false } } });
  }

  /** ShiftTraffic to step `stepIndex` at `seconds`, verified, then the Bake entered. */
  shift(stepIndex: number, seconds: number): this {
    const step = this.rollout.plan.steps[stepIndex]!;
    const at = this.at(seconds).toISOString();
    this.progress = { stepIndex, extraBakes: 0, extraSeconds: 0, weight: step.weight, bakeSeconds: step.bakeSeconds, lookSeconds: step.bakeSeconds, shiftedAt: at, shifts: [...this.progress.shifts, { weight: step.weight, at }] };
    this.enter('TaskStateEntered', 'ShiftTraffic', seconds).exit('TaskStateExited', 'ShiftTraffic', seconds, { rollout: this.rollout, progress: this.progress });
    this.waiting = 'Bake';
    return this.enter('WaitStateEntered', 'Bake', seconds + 1);
  }

  /**
   * The bake ends at `seconds` (one look per bake: the look interval is the bake) and AnalyzeCanary records
   * `analysis`; DecideNextStep is entered. An extra bake after it lasts as long as the step's bake.
   */
  analyse(seconds: number, analysis: AnalysisOutput): this {
    this.exit('WaitStateExited', this.waiting, seconds, { rollout: this.rollout, progress: this.progress });
    this.enter('TaskStateEntered', 'AnalyzeCanary', seconds);
    this.exit('TaskStateExited', 'AnalyzeCanary', seconds + 2, {
      rollout: this.rollout,
      progress: this.progress,
      analysis: {
        checks: [],
        memory: {},
        analyzedAt: this.at(seconds + 2).toISOString(),
        step: { index: this.progress.stepIndex, weight: this.progress.weight },
        look: { stepIndex: this.progress.stepIndex, bakedSeconds: this.progress.bakeSeconds, waitSeconds: analysis.action === 'bake-again' ? this.progress.bakeSeconds : 0 },
        ...analysis,
      },
    });
    return this.enter('ChoiceStateEntered', 'DecideNextStep', seconds + 3);
  }

  /** BakeAgain after an inconclusive analysis: the wait before the extra bake's look entered. */
  bakeAgain(seconds: number): this {
    this.progress = { ...this.progress, extraBakes: this.progress.extraBakes + 1, extraSeconds: this.progress.extraSeconds + this.progress.bakeSeconds };
    this.enter('PassStateEntered', 'BakeAgain', seconds).exit('PassStateExited', 'BakeAgain', seconds, { rollout: this.rollout, progress: this.progress });
    this.waiting = 'WaitForNextLook';
    return this.enter('WaitStateEntered', 'WaitForNextLook', seconds);
  }

  /** The closing event, after the named last state. */
  close(type: 'ExecutionSucceeded' | 'ExecutionFailed' | 'ExecutionAborted', seconds: number, details: { error?: string; cause?: string } = {}): this {
    const key = { ExecutionSucceeded: 'executionSucceededEventDetails', ExecutionFailed: 'executionFailedEventDetails', ExecutionAborted: 'executionAbortedEventDetails' }[type];
    return this.add(type, seconds, { [key]: details });
  }

  /** A copy of the events so far: what a read at this moment returns. */
  snapshot(): HistoryEvent[] {
    return [...this.events];
  }
}
