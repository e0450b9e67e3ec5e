/** A rollout request as JSON, from `--request FILE`, or from standard input when FILE is absent or "-". */
import { readFileSync } from 'node:fs';
import { UsageError, type CliIo } from './io';
import { messageOf } from '../shared/errors';

export async function readRequestFile(file: string | undefined, io: CliIo): Promise<unknown> {
  let text: string | null;
  let source: string;
  if (file === undefined || file === '-') {
    text = await io.readStdin();
    source = 'standard input';
    if (text === null || text.trim() === '') throw new UsageError('give --request FILE, or pipe a rollout request (JSON) on standard input');
  } else {
    source = file;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : messageOf(error);
      throw new UsageError(`--request ${file}: cannot read the file: ${reason}`);
    }
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(`the request on ${source} is not valid JSON: ${messageOf(error)}`);
  }
}
