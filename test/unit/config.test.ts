import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { ConfigError, loadConfig, parseTrustProxy } from '../../src/config.ts';
import { contrastRatio } from '../../src/lib/brand.ts';
import { writeFileSync } from 'node:fs';

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

  describe('branding', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'parapet-brand-'));
    const file = (name: string, body: Buffer | string) => {
      const p = path.join(dir, name);
      writeFileSync(p, body);
      return p;
    };
    const base = { ...SECRETS, DATA_DIR: dir };

    test('defaults: "Support" everywhere (TOTP issuer, From name), no logo, the stylesheet’s own colours', () => {
      const config = loadConfig(base, quiet);
      assert.equal(config.brand.name, 'Support');
      assert.equal(config.brand.logo, null);
      assert.equal(config.brand.accent, null);
      assert.equal(config.totpIssuer, 'Support');
      assert.equal(config.mailFrom, '"Support" <parapet@localhost>');
    });

    test('PORTAL_NAME names the TOTP issuer (without colons) and a bare MAIL_FROM; explicit values win', () => {
      const config = loadConfig({ ...base, PORTAL_NAME: 'Acme: "Help"', MAIL_FROM: 'help@acme.example' }, quiet);
      assert.equal(config.totpIssuer, 'Acme "Help"');
      assert.equal(config.mailFrom, '"Acme: \\"Help\\"" <help@acme.example>');
      const explicit = loadConfig({ ...base, TOTP_ISSUER: 'Acme 2FA', MAIL_FROM: 'Desk <d@acme.example>' }, quiet);
      assert.equal(explicit.totpIssuer, 'Acme 2FA');
      assert.equal(explicit.mailFrom, 'Desk <d@acme.example>');
      assert.ok(problems({ ...base, PORTAL_NAME: 'Line\nbreak' }).some((p) => p.startsWith('PORTAL_NAME')));
    });

    test('PORTAL_ACCENT below 4.5:1 against white refuses to start and names a darker shade that passes', () => {
      const found = problems({ ...base, PORTAL_ACCENT: '#ffcc00' });
      assert.equal(found.length, 1);
      assert.match(
        found[0] ?? '',
        /PORTAL_ACCENT #ffcc00 has a contrast of 1\.\d\d:1 against white.*4\.5:1.*(#[0-9a-f]{6})$/,
      );
      const suggested = /(#[0-9a-f]{6})$/.exec(found[0] ?? '')?.[1] ?? '';
      assert.ok(contrastRatio(suggested, '#ffffff') >= 4.5, suggested);
      assert.deepEqual(loadConfig({ ...base, PORTAL_ACCENT: suggested }, quiet).brand.accent?.accent, suggested);
      assert.ok(problems({ ...base, PORTAL_ACCENT: 'red' }).some((p) => p.startsWith('PORTAL_ACCENT')));
    });

    test('a passing accent gets a dark-theme text variant with 4.5:1 on the dark surfaces', () => {
      const accent = loadConfig({ ...base, PORTAL_ACCENT: '#0B6E4F' }, quiet).brand.accent;
      assert.ok(accent);
      assert.equal(accent.accent, '#0b6e4f');
      assert.ok(contrastRatio(accent.darkText, '#1f2836') >= 4.5);
      assert.ok(contrastRatio(accent.darkText, '#0f141c') >= 4.5);
      assert.ok(contrastRatio(accent.accentHover, '#ffffff') >= 4.5);
    });

    test('PORTAL_LOGO: a PNG, WebP or SVG judged by its bytes, at most 256 KiB, and it must exist', () => {
      const png = file('logo.png', Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), Buffer.alloc(64)]));
      assert.equal(loadConfig({ ...base, PORTAL_LOGO: png }, quiet).brand.logo?.type, 'image/png');
      const svg = file('logo.svg', '<?xml version="1.0"?>\n<!-- Acme -->\n<svg xmlns="http://www.w3.org/2000/svg"/>');
      assert.equal(loadConfig({ ...base, PORTAL_LOGO: svg }, quiet).brand.logo?.type, 'image/svg+xml');
      const webp = file('logo.webp', Buffer.concat([Buffer.from('RIFF\0\0\0\0WEBPVP8 ', 'latin1'), Buffer.alloc(32)]));
      assert.equal(loadConfig({ ...base, PORTAL_LOGO: webp }, quiet).brand.logo?.type, 'image/webp');

      const html = file('logo2.png', '<html><script>alert(1)</script></html>');
      assert.match(problems({ ...base, PORTAL_LOGO: html })[0] ?? '', /is not a PNG, WebP or SVG image/);
      const big = file('big.png', Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), Buffer.alloc(300 * 1024)]));
      assert.match(problems({ ...base, PORTAL_LOGO: big })[0] ?? '', /at most 256 KiB/);
      assert.match(problems({ ...base, PORTAL_LOGO: path.join(dir, 'nope.png') })[0] ?? '', /does not exist/);
      assert.match(problems({ ...base, PORTAL_LOGO: dir })[0] ?? '', /is not a file/);
    });
  });
});
