import { tee } from '../../sim/tee';

async function* numbers(n: number): AsyncGenerator<number> {
  for (let i = 1; i <= n; i += 1) {
    await Promise.resolve();
    yield i;
  }
}

async function collect<T>(items: AsyncIterable<T>, stopAfter = Infinity): Promise<T[]> {
  const seen: T[] = [];
  for await (const item of items) {
    seen.push(item);
    if (seen.length >= stopAfter) break;
  }
  return seen;
}

describe('tee', () => {
  it('gives every copy every item, in order', async () => {
    const [a, b] = tee(numbers(5), 2) as [AsyncIterable<number>, AsyncIterable<number>];
    expect(await Promise.all([collect(a), collect(b)])).toEqual([
      [1, 2, 3, 4, 5],
      [1, 2, 3, 4, 5],
    ]);
  });

  it('a copy that stops early (as the in-memory Step Functions does when an execution is stopped) stops only itself', async () => {
    const [a, b] = tee(numbers(5), 2) as [AsyncIterable<number>, AsyncIterable<number>];
    expect(await Promise.all([collect(a, 2), collect(b)])).toEqual([
      [1, 2],
      [1, 2, 3, 4, 5],
    ]);
  });

  it("passes the source's failure to every copy", async () => {
    async function* failing(): AsyncGenerator<number> {
      yield 1;
      throw new Error('log broke');
    }
    const [a, b] = tee(failing(), 2) as [AsyncIterable<number>, AsyncIterable<number>];
    await expect(collect(a)).rejects.toThrow('log broke');
    await expect(collect(b)).rejects.toThrow('log broke');
  });
});
