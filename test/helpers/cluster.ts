import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import type { TestContext } from 'node:test';
import { databaseUrlOf, spawnApp } from '../support/app-process.ts';
import type { TestDatabase } from './build-app.ts';

/** One browser over real HTTP: a cookie jar and the last CSRF token seen. Without a base, it takes whole URLs (one browser, several processes). */
export class Browser {
  cookies = new Map<string, string>();
  token = '';
  constructor(private readonly base = '') {}
  async fetch(url: string, init: RequestInit = {}): Promise<{ status: number; location: string | null; body: string }> {
    const headers = new Headers(init.headers);
    if (this.cookies.size > 0) {
      headers.set('cookie', [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '));
    }
    const res = await fetch(`${this.base}${url}`, { ...init, headers, redirect: 'manual' });
    for (const line of res.headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      const [name = '', value = ''] = pair.split('=');
      if (/Max-Age=0|Expires=Thu, 01 Jan 1970/i.test(line) || value === '') {
        this.cookies.delete(name);
      } else {
        this.cookies.set(name, value);
      }
    }
    const body = await res.text();
    this.token = /name="_csrf" value="([^"]+)"/.exec(body)?.[1] ?? this.token;
    return { status: res.status, location: res.headers.get('location'), body };
  }
  post(url: string, form: Record<string, string>) {
    return this.fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: this.token, ...form }).toString(),
    });
  }
}

export interface Cluster {
  child: ChildProcess;
  base: string;
  /** Pids of the worker processes (the primary serves nothing itself). */
  workerPids: number[];
  /** Everything the processes logged so far. */
  output(): string;
  /** Pids of the processes that logged a completed request (in the output after `from` characters). */
  servedBy(from?: number): Set<number>;
}

/** Starts `src/server.ts` with WORKERS=2 on the test database and waits until both workers listen; killed with the test. */
export async function startCluster(
  t: TestContext,
  testDb: TestDatabase,
  env: Record<string, string>,
): Promise<Cluster> {
  const server = spawnApp({
    port: 0,
    env: {
      LOG_LEVEL: 'info',
      WORKERS: '2',
      DATA_DIR: testDb.dataDir,
      DATABASE_URL: databaseUrlOf(testDb.database),
      SECRET_KEY: 'cluster-test-secret-key-0123456789abcdef',
      PEPPER: 'cluster-test-pepper-0123456789abcdefghij',
      ...env,
    },
  });
  t.after(() => server.child.kill('SIGKILL'));
  const base = await server.whenReady({ workers: 2 });
  const out = server.output;
  const workerPids = [
    ...out().matchAll(/"pid":\d+,"hostname":"[^"]*","worker":\d+,"pid":(\d+),"msg":"worker is listening"/g),
  ].map((m) => Number(m[1]));
  assert.equal(workerPids.length, 2, out());
  return {
    child: server.child,
    base,
    workerPids,
    output: out,
    servedBy: (from = 0) =>
      new Set(
        [
          ...out()
            .slice(from)
            .matchAll(/"pid":(\d+)[^\n]*"msg":"request completed"/g),
        ].map((m) => Number(m[1])),
      ),
  };
}
