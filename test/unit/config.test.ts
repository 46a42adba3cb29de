import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { ConfigError, loadConfig, parseTrustProxy } from '../../src/config.ts';

const SECRETS = { SECRET_KEY: 's'.repeat(40), PEPPER: 'p'.repeat(40) };
const quiet = { warn: () => {} };

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env, quiet);
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error.problems;
  }
  return [];
}

describe('configuration', () => {
  test('defaults: SQLite under ./data, 127.0.0.1:3000, 30-minute idle and 12-hour absolute sessions', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'parapet-config-'));
    const config = loadConfig({ ...SECRETS, DATA_DIR: dir }, quiet);
    assert.equal(config.env.HOST, '127.0.0.1');
    assert.equal(config.env.PORT, 3000);
    assert.deepEqual(config.database, { kind: 'sqlite', file: path.join(dir, 'parapet.sqlite') });
    assert.equal(config.appUrl.href, 'http://127.0.0.1:3000/');
    assert.deepEqual(config.session, { idleMs: 30 * 60_000, absoluteMs: 12 * 3_600_000 });
    assert.equal(config.trustProxy, false);
    assert.equal(config.isProduction, false);
  });

  test('production without SECRET_KEY or PEPPER refuses to start and names them', () => {
    const found = problems({ NODE_ENV: 'production' });
    assert.ok(
      found.some((p) => p.startsWith('SECRET_KEY is missing')),
      found.join('\n'),
    );
    assert.ok(
      found.some((p) => p.startsWith('PEPPER is missing')),
      found.join('\n'),
    );
    const short = problems({ NODE_ENV: 'production', SECRET_KEY: 'short', PEPPER: 'p'.repeat(40) });
    assert.ok(
      short.some((p) => p.startsWith('SECRET_KEY is not valid') && p.includes('32')),
      short.join('\n'),
    );
    assert.ok(!short.join('\n').includes('short'), 'a secret value is never echoed');
  });

  test('production without a mail transport refuses to start unless MAIL_TRANSPORT=disabled says so', () => {
    const production = { ...SECRETS, NODE_ENV: 'production' };
    const found = problems(production);
    assert.equal(found.length, 1, found.join('\n'));
    assert.match(
      found[0] ?? '',
      /^No mail transport: NODE_ENV=production needs SMTP_URL or MAILGUN_API_KEY \+ MAILGUN_DOMAIN, or MAIL_TRANSPORT=disabled/,
    );
    assert.deepEqual(problems({ ...production, SMTP_URL: 'smtps://u:p@smtp.example.com:465' }), []);
    assert.deepEqual(problems({ ...production, MAILGUN_API_KEY: 'key', MAILGUN_DOMAIN: 'mg.example.com' }), []);
    assert.deepEqual(problems({ ...production, MAIL_TRANSPORT: 'disabled' }), []);
    assert.equal(loadConfig({ ...production, MAIL_TRANSPORT: 'disabled' }, quiet).env.MAIL_TRANSPORT, 'disabled');
    assert.match(
      problems({ ...production, MAIL_TRANSPORT: 'disabled', SMTP_URL: 'smtp://127.0.0.1:25' })[0] ?? '',
      /^MAIL_TRANSPORT=disabled contradicts/,
    );
    assert.match(problems({ ...production, MAIL_TRANSPORT: 'off' })[0] ?? '', /^MAIL_TRANSPORT /);
    // Development keeps the printing outbox; it only prints on this machine.
    assert.deepEqual(
      problems({ ...SECRETS, NODE_ENV: 'development', DATA_DIR: mkdtempSync(path.join(tmpdir(), 'parapet-config-')) }),
      [],
    );
  });

  test('each invalid variable is named with what is wrong', () => {
    const found = problems({
      ...SECRETS,
      PORT: '99999',
      DATABASE_URL: 'mysql://x',
      MAILGUN_DOMAIN_REGION: 'asia',
      SESSION_IDLE_MINUTES: 'soon',
      TRUST_PROXY: 'everyone',
    });
    const text = found.join('\n');
    for (const name of ['PORT', 'DATABASE_URL', 'MAILGUN_DOMAIN_REGION', 'SESSION_IDLE_MINUTES']) {
      assert.match(text, new RegExp(`^${name} `, 'm'), name);
    }
    assert.deepEqual(problems({ ...SECRETS, TRUST_PROXY: 'everyone' }).length, 1);
    assert.match(problems({ ...SECRETS, MAILGUN_API_KEY: 'key' })[0] ?? '', /MAILGUN_API_KEY and MAILGUN_DOMAIN/);
    assert.match(
      problems({ ...SECRETS, MAILGUN_WEBHOOK_SIGNING_KEY: 'k'.repeat(32) })[0] ?? '',
      /^SUPPORT_ADDRESS is missing/,
    );
    assert.match(problems({ ...SECRETS, SUPPORT_ADDRESS: 'support+x@example.com' })[0] ?? '', /^SUPPORT_ADDRESS /);
    assert.match(problems({ ...SECRETS, INBOUND_UNKNOWN_SENDERS: 'maybe' })[0] ?? '', /^INBOUND_UNKNOWN_SENDERS /);
    assert.match(
      problems({ ...SECRETS, DEFAULT_PASSWORD: 'a very long password' })[0] ?? '',
      /^DEFAULT_USER is missing/,
    );
    assert.match(
      problems({ ...SECRETS, DEFAULT_USER: 'admin@example.com', DEFAULT_PASSWORD: 'short' })[0] ?? '',
      /^DEFAULT_PASSWORD/,
    );
  });

  test('DATABASE_URL chooses the dialect', () => {
    assert.deepEqual(loadConfig({ ...SECRETS, DATABASE_URL: 'postgres://u@127.0.0.1/db' }, quiet).database, {
      kind: 'postgres',
      url: 'postgres://u@127.0.0.1/db',
    });
    assert.equal(loadConfig({ ...SECRETS, DATABASE_URL: 'sqlite:/tmp/x.db' }, quiet).database.kind, 'sqlite');
  });

  test('TRUST_PROXY: off by default; loopback, a hop count or a list of addresses and CIDRs', () => {
    assert.equal(parseTrustProxy(undefined), false);
    assert.equal(parseTrustProxy('false'), false);
    assert.equal(parseTrustProxy('1'), 1);
    assert.deepEqual(parseTrustProxy('loopback'), ['loopback']);
    assert.deepEqual(parseTrustProxy('10.0.0.0/8, 192.168.1.5,::1'), ['10.0.0.0/8', '192.168.1.5', '::1']);
    assert.equal(
      typeof parseTrustProxy('true'),
      'string',
      'trusting every peer is refused: it would let anyone spoof their IP',
    );
    assert.equal(typeof parseTrustProxy('*'), 'string');
  });

  test('development secrets are generated once, kept private, and announced loudly', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'parapet-config-'));
    const warnings: string[] = [];
    const first = loadConfig({ DATA_DIR: dir }, { warn: (m) => warnings.push(m) });
    const second = loadConfig({ DATA_DIR: dir }, { warn: (m) => warnings.push(m) });
    assert.equal(first.secretKey, second.secretKey);
    assert.equal(first.pepper, second.pepper);
    assert.ok(first.secretKey.length >= 32 && first.secretKey !== first.pepper);
    const file = path.join(dir, 'dev-secrets.json');
    assert.ok(existsSync(file));
    assert.equal(statSync(file).mode & 0o077, 0, 'readable by the owner only');
    assert.ok(readFileSync(file, 'utf8').includes(first.secretKey));
    assert.equal(warnings.length, 2);
    assert.match(warnings[0] ?? '', /SECRET_KEY and\/or PEPPER are not set/);
  });
});
