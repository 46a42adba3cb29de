// Runs node:test over every *.test.ts below the given folders, or over the given test files (node 20's --test does not
// expand globs).
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';

const dirs = process.argv.slice(2);
if (dirs.length === 0) {
  console.error('usage: run-tests <dir or test file>...');
  process.exit(2);
}
const files = dirs
  .flatMap((dir) =>
    statSync(dir).isDirectory()
      ? readdirSync(dir, { recursive: true, encoding: 'utf8' }).map((f) => path.join(dir, f))
      : [dir],
  )
  .filter((f) => f.endsWith('.test.ts') || f.endsWith('.test.tsx'))
  .sort();
if (files.length === 0) {
  console.error(`no test files under ${dirs.join(', ')}`);
  process.exit(1);
}
const concurrency = process.env.TEST_CONCURRENCY ?? '2';
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, ...files],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
