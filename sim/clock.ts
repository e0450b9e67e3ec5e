/**
 * The virtual clock: @sinonjs/fake-timers replaces setTimeout, setInterval and Date for the length of one
 * simulation, so the state machine's Wait states and Retry intervals, the handlers' `new Date()` and the
 * traffic all run on simulated time. Time only moves when nothing is in progress: `advance()` fires the
 * next timer, and the simulator calls it once every task handler has returned.
 */
import FakeTimers from '@sinonjs/fake-timers';

/** Captured before any clock is installed: yielding to the real event loop must never be faked. */
const realSetImmediate = globalThis.setImmediate;

/** Lets pending promise callbacks and I/O run: one turn of the real event loop. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => realSetImmediate(resolve));
}

export class VirtualClock {
  private constructor(private readonly clock: FakeTimers.InstalledClock) {}

  static install(startMs: number): VirtualClock {
    const clock = FakeTimers.withGlobal(globalThis).install({
      now: startMs,
      toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'],
      shouldClearNativeTimers: true,
    });
    return new VirtualClock(clock);
  }

  get nowMs(): number {
    return this.clock.now;
  }

  /** Moves time forward by `ms`, firing the timers due on the way. */
  tick(ms: number): void {
    this.clock.tick(ms);
  }

  /** Jumps to the next timer and fires it (and no other); false when no timer is pending. */
  advance(): boolean {
    if (this.clock.countTimers() === 0) return false;
    this.clock.next();
    return true;
  }

  uninstall(): void {
    this.clock.uninstall();
  }
}
