/**
 * Work that reaches the world from outside the state machine: the alarm rollback that EventBridge invokes,
 * a person's Slack command. It runs on the virtual clock like the Task handlers do: time must not move while
 * such work computes or waits for an AWS answer (every simulated call answers at once), and must move while
 * it sleeps (a retry's backoff, a re-read 250 ms later), as it would during a Wait state. The clock it is
 * given therefore counts a sleep as idle.
 *
 * Every handler outside the state machine registers its work here (scenario events, alarm deliveries and
 * their retries, and any later handler such as a reconciler): the run loop goes on after the execution ends
 * until this is idle, up to a cap, and lists the scheduled work it did not reach (`notReached`).
 */

/** The clock the outside handlers take (`now`, and `sleep` that an AbortSignal can cut short). */
export interface HandlerClock {
  now(): Date;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** Work scheduled for a simulated time and not yet started. */
export interface ScheduledWork {
  readonly atMs: number;
  /** What it is, for the list of work not reached, e.g. "scenario event at 4000 s: promote checkout". */
  readonly description: string;
}

export class OutsideWork {
  private readonly scheduled = new Set<ScheduledWork>();

  /** Work running and not asleep: simulated time waits for it. */
  private active = 0;
  /** Work scheduled or running: the simulation does not end before it has run. */
  private pending = 0;

  /** For the handlers: Date is the virtual clock's; a sleep is a virtual timer during which time may move. */
  readonly clock: HandlerClock = {
    now: () => new Date(),
    sleep: (ms, signal) => this.sleep(ms, signal),
  };

  /** Something outside is computing or waiting for an AWS answer now. */
  get busy(): boolean {
    return this.active > 0;
  }

  /** Nothing outside is scheduled or running. */
  get idle(): boolean {
    return this.pending === 0;
  }

  /** Runs `work` now. Errors are the caller's: the returned promise rejects with them. */
  async run<T>(work: () => Promise<T>): Promise<T> {
    this.active += 1;
    this.pending += 1;
    try {
      return await work();
    } finally {
      this.active -= 1;
      this.pending -= 1;
    }
  }

  /** Scheduled work not started yet, earliest first. */
  get notStarted(): ScheduledWork[] {
    return [...this.scheduled].sort((a, b) => a.atMs - b.atMs);
  }

  /** Runs `work` after `delayMs` of simulated time; the simulation waits for it from now on. */
  schedule(delayMs: number, description: string, work: () => Promise<void>): void {
    this.pending += 1;
    const entry: ScheduledWork = { atMs: Date.now() + delayMs, description };
    this.scheduled.add(entry);
    setTimeout(() => {
      this.scheduled.delete(entry);
      void this.run(work).finally(() => {
        this.pending -= 1;
      });
    }, delayMs);
  }

  private sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      // Counted back as active in the timer's own callback, before anything else can see the clock move.
      this.active -= 1;
      const onAbort = (): void => {
        clearTimeout(timer);
        this.active += 1;
        reject(signal?.reason);
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        this.active += 1;
        resolve();
      }, ms);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}
