import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { renderToString } from 'preact-render-to-string';
import { AUDIT_EVENTS } from '../../src/audit/audit.repository.ts';
import type { AuditRow } from '../../src/features/admin/admin.repository.ts';
import { AUDIT_EVENT_LABEL, auditEventOptions, presentAuditRows } from '../../src/features/admin/audit.presenter.ts';
import { AuditPage } from '../../src/features/admin/security.views.tsx';

const SRC = path.resolve(import.meta.dirname, '../../src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(path.join(dir, e.name)) : /\.tsx?$/.test(e.name) ? [path.join(dir, e.name)] : [],
  );
}

interface Call {
  file: string;
  event: string;
  /** The keys of the call's `details: { ... }` literal (none when it passes a variable or nothing). */
  keys: string[];
}

/** Every `recordAudit(…)` call in src/: the event it writes (template events expanded) and its details' keys. */
function auditCalls(): Call[] {
  const calls: Call[] = [];
  for (const file of sourceFiles(SRC)) {
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(/recordAudit\(([\s\S]*?)\}\);/g)) {
      const body = match[1] ?? '';
      const literal = /event: '([^']+)'/.exec(body)?.[1];
      // `mail.${outcome.status}`: every status the inbound service decides on.
      const template = /event: `([a-z0-9_.]*)\$\{[^}]+\}`/.exec(body)?.[1];
      const events =
        literal !== undefined
          ? [literal]
          : template !== undefined
            ? AUDIT_EVENTS.filter((e) => e.startsWith(template))
            : [];
      // `afterPasswordSet` passes its event through: those calls name it as `set.event`, checked at their callers.
      if (events.length === 0 && !/event: set\.event/.test(body)) {
        assert.fail(`${path.relative(SRC, file)}: a recordAudit call whose event this test cannot read:\n${body}`);
      }
      const details = /details: \{([^}]*)\}/.exec(body)?.[1] ?? '';
      const keys = [...details.matchAll(/(?:^|,)\s*([A-Za-z]+)\s*(?::|,|$)/g)].map((m) => m[1] ?? '');
      for (const event of events) {
        calls.push({ file: path.relative(SRC, file), event, keys });
      }
    }
    // Events handed to afterPasswordSet (`event: 'user.password_reset'` beside `reason:`) are audit events too.
    for (const match of text.matchAll(/afterPasswordSet\([\s\S]*?event: '([^']+)'/g)) {
      calls.push({ file: path.relative(SRC, file), event: match[1] ?? '', keys: ['via'] });
    }
  }
  return calls;
}

const SAMPLE: Record<string, string | number | boolean | null> = {
  count: 2,
  consecutive: 3,
  remaining: 7,
  pauseSeconds: 300,
  ticketId: 42,
  ticketCount: 3,
  inboxId: 9,
  mailId: 11,
  attempts: 5,
  bounces: 2,
  generated: true,
  replaced: false,
  unlockMailSent: true,
  from: 'client',
  to: 'agent',
  role: 'agent',
  email: 'maria@example.com',
  emailFrom: 'old@example.com',
  emailTo: 'new@example.com',
  address: 'maria@example.com',
  unlockedIp: '203.0.113.9',
  reason: 'wrong_password',
  scope: 'all',
  via: 'administrator',
  method: 'totp',
  stage: 'unverified',
};

function rowFor(call: Call, id: number): AuditRow {
  const details = Object.fromEntries(call.keys.map((k) => [k, SAMPLE[k] ?? `some_${k.toLowerCase()}_value`]));
  return {
    id,
    created_at: Date.UTC(2026, 11, 5, 12, 0),
    event: call.event,
    actor_email: 'ada@example.com',
    target_email: 'maria@example.com',
    ip: '203.0.113.9',
    user_agent: 'Test',
    details: JSON.stringify(details),
  };
}

const ctx = {
  productName: 'Parapet',
  user: null,
  csrfToken: 'token',
  flash: null,
  notice: null,
  currentPath: '/admin/audit',
  asset: (name: string) => `/${name}`,
  logoUrl: null,
  brandCssUrl: null,
  timeZone: 'UTC',
  now: Date.now(),
};

/** The page's visible text: tags removed, entities decoded enough to find braces and quotes. */
function visibleText(html: string): string {
  return html
    .replace(/<(script|style)[\s\S]*?<\/\1>/g, ' ')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&quot;/g, '"')
    .replace(/&#123;|&lbrace;/g, '{')
    .replace(/&amp;/g, '&');
}

describe('the audit log in words', () => {
  const calls = auditCalls();

  test('the code writes audit events (the scan finds them)', () => {
    assert.ok(calls.length >= 40, `only ${calls.length} recordAudit calls found`);
    assert.ok(calls.some((c) => c.event === 'user.role_changed' && c.keys.includes('from')));
    assert.ok(
      calls.some((c) => c.event === 'mail.held'),
      'the template event mail.${status} is expanded',
    );
  });

  test('every event recordAudit is called with is a known event with a label in words, not its code', () => {
    for (const { file, event } of calls) {
      assert.ok((AUDIT_EVENTS as readonly string[]).includes(event), `${file}: ${event} is not in AUDIT_EVENTS`);
    }
    for (const event of AUDIT_EVENTS) {
      const label = AUDIT_EVENT_LABEL[event];
      assert.ok(label, `${event} has no label`);
      assert.doesNotMatch(label, /[._]/, `${event}: "${label}" reads like a code`);
      assert.match(label, /^[A-Z]/, `${event}: "${label}" starts with a capital`);
    }
    assert.equal(new Set(Object.values(AUDIT_EVENT_LABEL)).size, AUDIT_EVENTS.length, 'labels are distinct');
  });

  test('the event filter offers every event by its label', () => {
    const options = auditEventOptions();
    assert.deepEqual(options.map((o) => o.value).sort(), [...AUDIT_EVENTS].sort());
    for (const o of options) {
      assert.equal(o.label, AUDIT_EVENT_LABEL[o.value as keyof typeof AUDIT_EVENT_LABEL]);
    }
  });

  test('every event, with the details its call writes, renders as words: no code, no raw JSON', () => {
    const rows = presentAuditRows(calls.map(rowFor));
    for (const row of rows) {
      const what = `${row.event} ${row.details}`;
      assert.doesNotMatch(row.view.summary, /[{}"]|\b[a-z]+_[a-z_]+\b/, `${what}: "${row.view.summary}"`);
      assert.ok(!AUDIT_EVENTS.some((e) => row.view.summary.includes(e)), `${what}: "${row.view.summary}"`);
      for (const d of row.view.details) {
        assert.doesNotMatch(d.label, /[{}"_]|^[a-z]/, `${what}: label "${d.label}"`);
        assert.doesNotMatch(d.value, /[{}"]/, `${what}: value "${d.value}"`);
      }
    }
    const html = renderToString(
      AuditPage({ ctx, rows, q: {}, page: 1, hasNext: false, events: auditEventOptions(), retentionDays: 365 }),
    );
    const text = visibleText(html);
    assert.doesNotMatch(text, /[{}]|"\w+":/, 'no JSON on the page');
    for (const event of AUDIT_EVENTS) {
      assert.ok(!text.includes(event), `the code ${event} is not shown`);
    }
  });

  test('the sentences say what happened and who did it', () => {
    const row = (event: string, details: object, actor: string | null = 'ada@example.com') =>
      presentAuditRows([
        {
          id: 1,
          created_at: 0,
          event,
          actor_email: actor,
          target_email: 'maria@example.com',
          ip: null,
          user_agent: null,
          details: JSON.stringify(details),
        },
      ])[0]?.view;
    assert.equal(
      row('user.role_changed', { from: 'client', to: 'agent' })?.summary,
      'Role changed from Client to Agent by ada@example.com',
    );
    assert.equal(row('2fa.reset', {})?.summary, 'Two-factor reset by ada@example.com');
    assert.equal(row('login.success', { method: 'totp' }, 'maria@example.com')?.summary, 'Signed in');
    assert.deepEqual(row('login.success', { method: 'totp' }, 'maria@example.com')?.details, [
      { label: 'Method', value: 'Authenticator code' },
    ]);
    assert.equal(row('login.failure', { reason: 'wrong_password' }, null)?.summary, 'Sign-in failed: wrong password');
    assert.equal(
      row('session.revoked', { scope: 'all', count: 2, reason: 'role_changed' })?.summary,
      'Signed out of 2 sessions by ada@example.com',
    );
    assert.equal(
      row('login.lockout', { scope: 'ip', pauseSeconds: 300 }, null)?.summary,
      'Sign-in paused for this IP address for 5 minutes',
    );
    // Unreadable or structured details never come out as JSON.
    assert.deepEqual(row('logout', { nested: { a: 1 } })?.details, [{ label: 'Nested', value: 'A: 1' }]);
    assert.deepEqual(row('logout', {}, null)?.details, []);
  });
});
