import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { version } from '../../package.json';

const BIN = join(__dirname, '../../bin/coalmine.cjs');

describe('the coalmine process', () => {
  it('ends quietly, without a stack trace, when its reader stops early (| head -1)', () => {
    const run = spawnSync('sh', ['-c', `"${process.execPath}" "${BIN}" simulate --scenario healthy | head -1`], {
      encoding: 'utf8',
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: '' },
    });
    expect(run.stderr).toBe('');
    expect(run.stdout.split('\n')[0]).toMatch(/\S/);
  });

  it('prints its version with --version', () => {
    expect(execFileSync(process.execPath, [BIN, '--version'], { encoding: 'utf8' })).toBe(`coalmine ${version}\n`);
  });
});
