import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { loadConfig } from '../../src/config.ts';
import { connect } from '../../src/db/connect.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';

const mode = (file: string) => statSync(file).mode & 0o777;

/** Runs with the common permissive umask (0022), as a shell would start the app, so the test proves the code's modes. */
function withUmask<T>(mask: number, fn: () => T): T {
  const previous = process.umask(mask);
  try {
    return fn();
  } finally {
    process.umask(previous);
  }
}

describe('files holding secrets are private to their owner', () => {
  test('a new SQLite database: data directory 0700; database, -wal and -shm 0600', async (t) => {
    const root = mkdtempSync(path.join(tmpdir(), 'parapet-modes-'));
    t.after(() => rmSync(root, { recursive: true, force: true }));
    const file = path.join(root, 'data', 'parapet.sqlite');
    const conn = withUmask(0o022, () => connect({ kind: 'sqlite', file }));
    t.after(() => conn.close());
    await withUmask(0o022, () => migrateToLatest(conn));
    assert.equal(mode(path.join(root, 'data')), 0o700);
    for (const f of [file, `${file}-wal`, `${file}-shm`]) {
      assert.equal(mode(f), 0o600, f);
    }
  });

  test('an existing world-readable database and WAL are tightened when opened', async (t) => {
    const root = mkdtempSync(path.join(tmpdir(), 'parapet-modes-'));
    t.after(() => rmSync(root, { recursive: true, force: true }));
    const file = path.join(root, 'parapet.sqlite');
    const first = connect({ kind: 'sqlite', file });
    await migrateToLatest(first);
    chmodSync(file, 0o644);
    chmodSync(`${file}-wal`, 0o644);
    const second = connect({ kind: 'sqlite', file });
    t.after(async () => {
      await second.close();
      await first.close();
    });
    assert.equal(mode(file), 0o600);
    assert.equal(mode(`${file}-wal`), 0o600);
  });

  test('dev-secrets.json and its directory: 0600 and 0700, also when an older version left the file readable', () => {
    const root = mkdtempSync(path.join(tmpdir(), 'parapet-modes-'));
    try {
      const dir = path.join(root, 'data');
      withUmask(0o022, () => loadConfig({ DATA_DIR: dir }, { warn: () => {} }));
      assert.equal(mode(dir), 0o700);
      const file = path.join(dir, 'dev-secrets.json');
      assert.equal(mode(file), 0o600);
      chmodSync(file, 0o644);
      withUmask(0o022, () => loadConfig({ DATA_DIR: dir }, { warn: () => {} }));
      assert.equal(mode(file), 0o600);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
