/**
 * One async iterable read by several consumers, each seeing every item in order. aws-local-stepfunctions
 * gives a run one event log, a single generator: the in-memory Step Functions (which writes the history
 * the outside handlers read) and the simulator's observer both need all of it. A consumer that stops early
 * (a `break`) stops only its own copy.
 */
export function tee<T>(source: AsyncIterable<T>, copies: number): Array<AsyncIterable<T>> {
  const queues: T[][] = Array.from({ length: copies }, () => []);
  const wakers: Array<(() => void) | undefined> = Array.from({ length: copies }, () => undefined);
  let done = false;
  let failure: { error: unknown } | undefined;
  const wake = (): void => {
    for (const [i, waker] of wakers.entries()) {
      wakers[i] = undefined;
      waker?.();
    }
  };
  void (async () => {
    try {
      for await (const item of source) {
        for (const queue of queues) queue.push(item);
        wake();
      }
    } catch (error) {
      failure = { error };
    } finally {
      done = true;
      wake();
    }
  })();

  return queues.map((queue, i) => ({
    async *[Symbol.asyncIterator]() {
      for (;;) {
        if (queue.length > 0) {
          yield queue.shift() as T;
          continue;
        }
        if (done) {
          if (failure !== undefined) throw failure.error;
          return;
        }
        await new Promise<void>((resolve) => {
          wakers[i] = resolve;
        });
      }
    },
  }));
}
