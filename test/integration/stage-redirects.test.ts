import assert from 'node:assert/strict';
import { describe, test, type TestContext } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { safeNextPath } from '../../src/features/auth/login.schemas.ts';
import { isStagePage } from '../../src/plugins/access.ts';
import { buildTestApp } from '../helpers/build-app.ts';
import { TestClient } from '../helpers/client.ts';
import { dialects } from '../helpers/dialects.ts';
import { createUser } from '../helpers/factories.ts';
import { linkIn, mailsTo } from '../helpers/mail.ts';

const STAGE_PAGES = ['/verify-email/pending', '/login/two-factor', '/two-factor/setup'];
const MAX_HOPS = 8;

/**
 * Follows redirects like a browser (GET, cookies kept) and fails on a loop: a URL seen twice, or more hops than any
 * real path needs. Returns every URL visited and the final response's status.
 */
async function follow(client: TestClient, start: string): Promise<{ chain: string[]; status: number; body: string }> {
  const chain = [start];
  let response = await client.get(start);
  while (response.statusCode >= 300 && response.statusCode < 400) {
    const location = String(response.headers.location ?? '');
    assert.ok(location.startsWith('/'), `a same-site redirect: ${location}`);
    assert.ok(!chain.includes(location), `redirect loop: ${[...chain, location].join(' → ')}`);
    chain.push(location);
    assert.ok(chain.length <= MAX_HOPS, `too many redirects: ${chain.join(' → ')}`);
    response = await client.get(location);
  }
  return { chain, status: response.statusCode, body: response.body };
}

type State = 'anonymous' | 'unverified' | 'mfa' | 'mfa_enrol' | 'full';
const STATES: State[] = ['anonymous', 'unverified', 'mfa', 'mfa_enrol', 'full'];
/** The one page each half-signed-in state belongs on. */
const HOME_OF: Record<State, string> = {
  anonymous: '/login',
  unverified: '/verify-email/pending',
  mfa: '/login/two-factor',
  mfa_enrol: '/two-factor/setup',
  full: '/',
};

async function clientIn(app: FastifyInstance, state: State): Promise<TestClient> {
  const client = new TestClient(app);
  if (state === 'anonymous') {
    return client;
  }
  const user = await createUser(app, {
    ...(state === 'unverified' ? { verified: false } : {}),
    ...(state === 'mfa_enrol' ? { twoFactor: false } : {}),
  });
  if (state === 'full') {
    assert.equal((await client.signIn(user)).statusCode, 303);
  } else {
    assert.equal((await client.login(user.email, user.password)).headers.location, HOME_OF[state]);
  }
  return client;
}

function pathOf(url: string): string {
  return new URL(url, 'http://x').pathname;
}

async function app(t: TestContext, dialect: Parameters<typeof buildTestApp>[1]) {
  return (await buildTestApp(t, dialect)).app;
}

describe('stage pages are never a destination', () => {
  test('isStagePage and safeNextPath', () => {
    for (const page of STAGE_PAGES) {
      assert.equal(isStagePage(page), true, page);
      assert.equal(isStagePage(`${page}/`), true, page);
      assert.equal(isStagePage(`${page.toUpperCase()}?next=%2Fx`), true, page);
      assert.equal(isStagePage(page.replace('-', '%2D')), true, page);
      assert.equal(safeNextPath(page), '/', page);
      assert.equal(safeNextPath(`${page}?next=%2Ftickets%2F1`), '/', page);
    }
    assert.equal(isStagePage('/login'), false);
    assert.equal(isStagePage('/tickets/12'), false);
    assert.equal(safeNextPath('/tickets/12'), '/tickets/12');
    assert.equal(safeNextPath('/login/two-factor-help'), '/login/two-factor-help');
  });
});

for (const dialect of dialects()) {
  describe(`redirects between sign-in steps [${dialect}]`, () => {
    test('the issue’s steps: sign in unverified, confirm in another tab, reload the old tab, password and code → home', async (t) => {
      const testApp = await buildTestApp(t, dialect);
      const { db } = testApp;
      const user = await createUser(testApp.app, { verified: false });
      const tab = new TestClient(testApp.app);
      assert.equal((await tab.login(user.email, user.password)).headers.location, '/verify-email/pending');
      await tab.get('/verify-email/pending');
      await tab.post('/verify-email/resend');
      const link = linkIn((await mailsTo(db, user.email)).at(-1), '/verify-email');
      // The other tab shares the cookies: confirming ends the half-signed-in session.
      await tab.get(link);
      assert.equal(
        (await tab.post('/verify-email', { token: new URL(link, 'http://x').searchParams.get('token') ?? '' }))
          .statusCode,
        303,
      );
      // The first tab still shows the login page it was sent to earlier; reloading it shows the form.
      const reload = await follow(tab, '/login?next=/verify-email/pending');
      assert.equal(reload.status, 200);
      assert.doesNotMatch(reload.body, /name="next"/, 'a step page is not carried as next');
      const password = await tab.post('/login', {
        email: user.email,
        password: user.password,
        next: '/verify-email/pending',
      });
      assert.equal(password.headers.location, '/login/two-factor');
      await tab.get('/login/two-factor');
      const code = await tab.post('/login/two-factor', {
        code: tab.nextCode(user.totpSecret ?? ''),
        next: '/verify-email/pending',
      });
      assert.equal(code.headers.location, '/');
      const end = await follow(tab, '/');
      assert.equal(end.status, 200);
      assert.match(end.body, /You are signed in as/);
      // The stale page itself, reloaded once more, goes home too.
      assert.deepEqual((await follow(tab, '/verify-email/pending')).chain.map(pathOf).at(-1), '/');
    });

    test('every step page in every session state ends on a page (no loop), the user’s own step or home', async (t) => {
      const a = await app(t, dialect);
      for (const state of STATES) {
        for (const page of STAGE_PAGES) {
          for (const next of [undefined, '/tickets', ...STAGE_PAGES]) {
            const client = await clientIn(a, state);
            const start = next ? `${page}?next=${encodeURIComponent(next)}` : page;
            const { chain, status, body } = await follow(client, start);
            const label = `${state} opening ${start}: ${chain.join(' → ')}`;
            const last = pathOf(chain.at(-1) ?? '');
            if (state === 'full') {
              // Where the page was going to send them, or home; /tickets answers 200 for a signed-in client.
              assert.equal(status, 200, label);
              assert.equal(last, next === '/tickets' ? '/tickets' : '/', label);
            } else {
              assert.equal(status, 200, label);
              assert.equal(last, HOME_OF[state], label);
            }
            // A next the redirects carry, and the one the final form keeps, is never a step page.
            for (const url of chain.slice(1)) {
              const carried = new URL(url, 'http://x').searchParams.get('next');
              assert.ok(carried === null || !isStagePage(carried), `${label}: carries ${carried}`);
            }
            const kept = /name="next" value="([^"]*)"/.exec(body)?.[1];
            assert.ok(kept === undefined || !isStagePage(kept), `${label}: the form keeps ${kept}`);
            // A half-signed-in or anonymous user keeps where they were going, through to their step's form.
            if (state === 'mfa' || state === 'mfa_enrol' || state === 'anonymous') {
              assert.equal(kept, next === '/tickets' ? '/tickets' : undefined, label);
            }
          }
        }
      }
    });

    test('/login with a step page as next, in every state, ends on a page', async (t) => {
      const a = await app(t, dialect);
      for (const state of STATES) {
        for (const page of STAGE_PAGES) {
          const client = await clientIn(a, state);
          const { chain, status } = await follow(client, `/login?next=${encodeURIComponent(page)}`);
          assert.equal(status, 200, chain.join(' → '));
          assert.equal(pathOf(chain.at(-1) ?? ''), HOME_OF[state], chain.join(' → '));
        }
      }
    });

    test('a signed-in user submitting the code or setup page from an old tab lands home after signing in again', async (t) => {
      const a = await app(t, dialect);
      const user = await createUser(a);
      const client = new TestClient(a);
      const first = await client.login(user.email, user.password);
      assert.equal(first.headers.location, '/login/two-factor');
      await client.get('/login/two-factor');
      // Another tab finishes signing in; this tab's bookmark of the code step is opened again.
      assert.equal(
        (await client.post('/login/two-factor', { code: client.nextCode(user.totpSecret ?? '') })).statusCode,
        303,
      );
      for (const page of ['/login/two-factor', '/two-factor/setup', '/verify-email/pending']) {
        const { chain, status } = await follow(client, page);
        assert.equal(status, 200, chain.join(' → '));
        assert.equal(pathOf(chain.at(-1) ?? ''), '/', chain.join(' → '));
      }
    });
  });
}
