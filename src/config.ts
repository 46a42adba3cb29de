import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { accentPalette, LOGO_MAX_BYTES, sniffLogo, type AccentPalette, type LogoType } from './lib/brand.ts';

const Secret = (description: string) => Type.Optional(Type.String({ minLength: 32, description }));
const Minutes = (def: number) => Type.Integer({ minimum: 1, maximum: 60 * 24 * 365, default: def });

/** The one schema for the environment. Every variable the app reads is here, with its default. */
export const EnvSchema = Type.Object({
  NODE_ENV: Type.Union([Type.Literal('development'), Type.Literal('production'), Type.Literal('test')], {
    default: 'development',
  }),
  HOST: Type.String({ minLength: 1, default: '127.0.0.1' }),
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 3000 }),
  WORKERS: Type.String({
    pattern: '^(auto|[1-9][0-9]?)$',
    default: '1',
    description: 'a number of processes from 1 to 99, or auto',
  }),
  APP_URL: Type.Optional(
    Type.String({ pattern: '^https?://[^\\s/?#]+(/[^\\s?#]*)?$', description: 'absolute http(s) URL' }),
  ),
  TRUST_PROXY: Type.Optional(Type.String()),
  DATA_DIR: Type.String({ minLength: 1, default: './data' }),
  DATABASE_URL: Type.Optional(
    Type.String({ pattern: '^(sqlite:.+|postgres(ql)?://.+)$', description: 'sqlite:<path> or postgres://…' }),
  ),
  SECRET_KEY: Secret('at least 32 characters'),
  PEPPER: Secret('at least 32 characters'),
  DEFAULT_USER: Type.Optional(
    Type.String({ pattern: '^[^\\s@]+@[^\\s@]+$', maxLength: 254, description: 'an email address' }),
  ),
  DEFAULT_PASSWORD: Type.Optional(Type.String({ minLength: 12, maxLength: 1024 })),
  SESSION_IDLE_MINUTES: Minutes(30),
  SESSION_ABSOLUTE_MINUTES: Minutes(12 * 60),
  REQUIRE_2FA: Type.Boolean({ default: true }),
  PORTAL_NAME: Type.String({ minLength: 1, maxLength: 60, pattern: '^[^\\x00-\\x1f\\x7f]+$', default: 'Support' }),
  PORTAL_LOGO: Type.Optional(Type.String({ minLength: 1, maxLength: 1000, description: 'a PNG, WebP or SVG file' })),
  PORTAL_ACCENT: Type.Optional(Type.String({ pattern: '^#[0-9a-fA-F]{6}$', description: 'a colour as #rrggbb' })),
  TOTP_ISSUER: Type.Optional(Type.String({ minLength: 1, maxLength: 60, pattern: '^[^:]+$', description: 'no colon' })),
  PASSWORD_MIN_LENGTH: Type.Integer({ minimum: 8, maximum: 64, default: 12 }),
  LOGIN_MAX_ATTEMPTS: Type.Integer({ minimum: 1, maximum: 1000, default: 5 }),
  LOGIN_WINDOW_MINUTES: Type.Integer({ minimum: 1, maximum: 1440, default: 5 }),
  LOGIN_LOCK_MINUTES: Type.Integer({ minimum: 1, maximum: 1440, default: 5 }),
  REDIS_URL: Type.Optional(Type.String({ pattern: '^rediss?://.+' })),
  REDIS_KEY_PREFIX: Type.String({
    pattern: '^[A-Za-z0-9_.:-]{1,40}$',
    default: 'parapet:',
    description: '1-40 letters, digits or _ . : -',
  }),
  AUDIT_RETENTION_DAYS: Type.Integer({ minimum: 1, maximum: 36500, default: 365 }),
  ATTACHMENT_MAX_BYTES: Type.Integer({ minimum: 1024, maximum: 50 * 1024 * 1024, default: 10 * 1024 * 1024 }),
  ATTACHMENT_MAX_FILES: Type.Integer({ minimum: 0, maximum: 20, default: 5 }),
  ATTACHMENT_QUOTA_BYTES: Type.Integer({
    minimum: 1024,
    maximum: 1024 * 1024 * 1024 * 1024,
    default: 200 * 1024 * 1024,
  }),
  TICKETS_PER_HOUR: Type.Integer({ minimum: 1, maximum: 100_000, default: 10 }),
  MESSAGES_PER_HOUR: Type.Integer({ minimum: 1, maximum: 100_000, default: 60 }),
  STAFF_NOTIFICATIONS_PER_HOUR: Type.Integer({ minimum: 1, maximum: 100_000, default: 10 }),
  TICKET_CATEGORIES: Type.String({
    maxLength: 1000,
    default: 'General,Billing,Technical problem,Account,Feature request',
  }),
  ARGON2_MEMORY_KIB: Type.Integer({ minimum: 19456, maximum: 1048576, default: 19456 }),
  ARGON2_TIME_COST: Type.Integer({ minimum: 2, maximum: 20, default: 2 }),
  BODY_LIMIT_BYTES: Type.Integer({ minimum: 1024, maximum: 100 * 1024 * 1024, default: 1024 * 1024 }),
  MAIL_FROM: Type.String({ minLength: 3, maxLength: 320, default: 'parapet@localhost' }),
  SMTP_URL: Type.Optional(Type.String({ pattern: '^smtps?://.+' })),
  MAILGUN_API_KEY: Type.Optional(Type.String({ minLength: 1 })),
  MAILGUN_DOMAIN: Type.Optional(Type.String({ minLength: 1 })),
  MAILGUN_DOMAIN_REGION: Type.Union([Type.Literal('us'), Type.Literal('eu')], { default: 'us' }),
  MAILGUN_API_URL: Type.Optional(Type.String({ pattern: '^https?://.+' })),
  MAIL_TRANSPORT: Type.Union([Type.Literal('auto'), Type.Literal('disabled')], {
    default: 'auto',
    description: 'auto or disabled',
  }),
  SUPPORT_ADDRESS: Type.Optional(
    Type.String({
      pattern: '^[^\\s@+]+@[^\\s@]+\\.[^\\s@]+$',
      maxLength: 200,
      description: 'an email address without +',
    }),
  ),
  SUPPORT_NAME: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  MAIL_INCLUDE_CONTENT: Type.Boolean({ default: true }),
  INBOUND_UNKNOWN_SENDERS: Type.Union([Type.Literal('hold'), Type.Literal('invite'), Type.Literal('reject')], {
    default: 'invite',
    description: 'hold, invite or reject',
  }),
  INBOUND_MAX_BYTES: Type.Integer({ minimum: 64 * 1024, maximum: 100 * 1024 * 1024, default: 25 * 1024 * 1024 }),
  INBOUND_PER_SENDER_PER_HOUR: Type.Integer({ minimum: 1, maximum: 100_000, default: 20 }),
  INBOUND_PER_HOUR: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 1000 }),
  MAILGUN_WEBHOOK_SIGNING_KEY: Type.Optional(Type.String({ minLength: 16 })),
  IMAP_URL: Type.Optional(
    Type.String({ pattern: '^imaps?://.+', maxLength: 2000, description: 'imaps://user:password@host[:port]/INBOX' }),
  ),
  IMAP_PROCESSED_FOLDER: Type.String({ minLength: 1, maxLength: 200, default: 'Parapet-processed' }),
  INBOUND_AUTHSERV_ID: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9.-]{1,253}$', description: 'a host name' })),
  TLS_CERT_FILE: Type.Optional(Type.String({ minLength: 1 })),
  TLS_KEY_FILE: Type.Optional(Type.String({ minLength: 1 })),
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
    { default: 'info' },
  ),
});
export type Env = Static<typeof EnvSchema>;

export type TrustProxy = false | number | string[];

/** IMAP_URL taken apart: where the IMAP poller (src/features/inbound/imap.source.ts) reads mail. */
export interface ImapSettings {
  /** imaps:// (TLS from the first byte); imap:// is plain text and allowed to a loopback address only. */
  secure: boolean;
  host: string;
  port: number;
  user: string;
  password: string;
  /** The folder read, from the URL's path (percent-decoded); INBOX when the path is empty. */
  mailbox: string;
}

/** PORTAL_NAME, PORTAL_LOGO and PORTAL_ACCENT, checked at start. */
export interface Brand {
  /** The portal's name in pages, emails, the TOTP issuer and the From display name (the product's only in a footer). */
  name: string;
  /** The logo file's bytes and type (sniffed from its bytes), served by the app; null shows the built-in mark. */
  logo: { body: Buffer; type: LogoType } | null;
  /** The accent colour and the variants derived from it; null keeps the stylesheet's own colours. */
  accent: AccentPalette | null;
}

export interface Config {
  env: Env;
  isProduction: boolean;
  /** HTTP worker processes (node:cluster) sharing the port; 1 serves from this process. */
  workers: number;
  appUrl: URL;
  trustProxy: TrustProxy;
  dataDir: string;
  database: { kind: 'sqlite'; file: string } | { kind: 'postgres'; url: string; schema?: string };
  secretKey: string;
  pepper: string;
  session: { idleMs: number; absoluteMs: number };
  argon2: { memoryCost: number; timeCost: number };
  ticketCategories: string[];
  /** IMAP_URL, checked and taken apart; null when inbound mail over IMAP is off. */
  imap: ImapSettings | null;
  brand: Brand;
  /** MAIL_FROM, with PORTAL_NAME as its display name when it has none of its own. */
  mailFrom: string;
  /** TOTP_ISSUER, by default PORTAL_NAME without colons (they separate issuer and account in the otpauth label). */
  totpIssuer: string;
  /** SUPPORT_NAME, by default PORTAL_NAME. */
  supportName: string;
}

export class ConfigError extends Error {
  constructor(public readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const PROXY_ENTRY = /^(loopback|linklocal|uniquelocal|[0-9a-fA-F.:]+(\/\d{1,3})?)$/;

/** `TRUST_PROXY`: unset/false = trust nobody; a hop count; or a list of addresses, CIDRs and proxy-addr names. */
export function parseTrustProxy(value: string | undefined): TrustProxy | string {
  const v = (value ?? '').trim();
  if (v === '' || v === 'false' || v === '0') {
    return false;
  }
  if (/^\d+$/.test(v)) {
    return Number(v);
  }
  const entries = v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = entries.find((e) => !PROXY_ENTRY.test(e));
  return bad === undefined ? entries : `"${bad}" is not loopback, linklocal, uniquelocal, an IP address or a CIDR`;
}

const LOOPBACK_HOST = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i;

/**
 * Takes IMAP_URL apart, or says what is wrong with it (never repeating the URL: it holds a password). imap:// sends the
 * password and every message in clear, so it is refused unless the server is on this machine's loopback.
 */
export function parseImapUrl(value: string): ImapSettings | string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'IMAP_URL is not a valid URL: imaps://user:password@host[:port]/INBOX';
  }
  const secure = url.protocol === 'imaps:';
  if (!secure && url.protocol !== 'imap:') {
    return 'IMAP_URL must start with imaps:// (or imap:// to a loopback address)';
  }
  if (!url.hostname) {
    return 'IMAP_URL has no host';
  }
  if (!secure && !LOOPBACK_HOST.test(url.hostname)) {
    return 'IMAP_URL uses imap:// (no TLS) to a host that is not loopback: the password and every message would cross the network in clear; use imaps://';
  }
  let user: string;
  let password: string;
  let mailbox: string;
  try {
    user = decodeURIComponent(url.username);
    password = decodeURIComponent(url.password);
    mailbox = decodeURIComponent(url.pathname.replace(/^\//, '')) || 'INBOX';
  } catch {
    return 'IMAP_URL has a malformed %-escape (user, password or folder)';
  }
  if (!user || !password) {
    return 'IMAP_URL needs the user and password: imaps://user:password@host/INBOX (%-encode @ : / in them)';
  }
  if (url.search || url.hash || mailbox.length > 200 || /[\p{Cc}*%]/u.test(mailbox)) {
    return 'IMAP_URL must end with the folder to read (e.g. /INBOX), without ?, #, wildcards or control characters';
  }
  return {
    secure,
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: url.port ? Number(url.port) : secure ? 993 : 143,
    user,
    password,
    mailbox,
  };
}

function describeError(error: { path: string; message: string; value: unknown }): string {
  const name = error.path.replace(/^\//, '') || '(environment)';
  const secret = /SECRET|PEPPER|PASSWORD|KEY|IMAP_URL/.test(name);
  const shown =
    error.value === undefined ? 'is missing' : secret ? 'is not valid' : `is ${JSON.stringify(error.value)}`;
  return `${name} ${shown}: ${error.message}`;
}

/** Loads `.env` from the working directory when present; real environment variables win. */
export function loadDotEnv(file = '.env'): void {
  if (existsSync(file)) {
    process.loadEnvFile(file);
  }
}

/**
 * Reads and validates the environment. Throws ConfigError naming every bad variable.
 * Development secrets that are missing are generated once and kept in DATA_DIR.
 */
export function loadConfig(
  source: NodeJS.ProcessEnv = process.env,
  opts: { warn?: (msg: string) => void } = {},
): Config {
  const raw: Record<string, unknown> = {};
  for (const key of Object.keys(EnvSchema.properties)) {
    const value = source[key];
    if (value !== undefined && value !== '') {
      raw[key] = value;
    }
  }
  const withDefaults = Value.Default(EnvSchema, Value.Convert(EnvSchema, raw));
  const problems = [...Value.Errors(EnvSchema, withDefaults)].map(describeError);
  if (problems.length > 0) {
    throw new ConfigError(problems);
  }
  const env = withDefaults as Env;
  const isProduction = env.NODE_ENV === 'production';

  const trustProxy = parseTrustProxy(env.TRUST_PROXY);
  if (typeof trustProxy === 'string') {
    problems.push(`TRUST_PROXY ${trustProxy}`);
  }
  if (isProduction) {
    for (const key of ['SECRET_KEY', 'PEPPER'] as const) {
      if (!env[key]) {
        problems.push(
          `${key} is missing: required when NODE_ENV=production (at least 32 random characters, e.g. \`openssl rand -base64 48\`)`,
        );
      }
    }
  }
  if (env.SECRET_KEY && env.PEPPER && env.SECRET_KEY === env.PEPPER) {
    problems.push('PEPPER must differ from SECRET_KEY');
  }
  if (Boolean(env.TLS_CERT_FILE) !== Boolean(env.TLS_KEY_FILE)) {
    problems.push('TLS_CERT_FILE and TLS_KEY_FILE must be set together');
  }
  if (Boolean(env.MAILGUN_API_KEY) !== Boolean(env.MAILGUN_DOMAIN)) {
    problems.push('MAILGUN_API_KEY and MAILGUN_DOMAIN must be set together');
  }
  const hasMailTransport = Boolean(env.SMTP_URL || (env.MAILGUN_API_KEY && env.MAILGUN_DOMAIN));
  if (env.MAIL_TRANSPORT === 'disabled' && hasMailTransport) {
    problems.push('MAIL_TRANSPORT=disabled contradicts SMTP_URL / MAILGUN_*: remove one or the other');
  }
  // The development outbox prints every link (password resets included) to stdout: never in production.
  if (isProduction && env.MAIL_TRANSPORT === 'auto' && !hasMailTransport) {
    problems.push(
      'No mail transport: NODE_ENV=production needs SMTP_URL or MAILGUN_API_KEY + MAILGUN_DOMAIN, or MAIL_TRANSPORT=disabled to run without email (no reset, verification or notification mail is then sent)',
    );
  }
  if ((env.IMAP_URL || env.MAILGUN_WEBHOOK_SIGNING_KEY) && !env.SUPPORT_ADDRESS) {
    problems.push(
      'SUPPORT_ADDRESS is missing: inbound mail (IMAP_URL or MAILGUN_WEBHOOK_SIGNING_KEY) needs the address customers write to',
    );
  }
  const imap = env.IMAP_URL ? parseImapUrl(env.IMAP_URL) : null;
  if (typeof imap === 'string') {
    problems.push(imap);
  } else if (imap && [env.IMAP_PROCESSED_FOLDER, 'Parapet-too-large'].includes(imap.mailbox)) {
    problems.push('IMAP_URL must read another folder than IMAP_PROCESSED_FOLDER and Parapet-too-large');
  }
  if (env.DEFAULT_PASSWORD && !env.DEFAULT_USER) {
    problems.push('DEFAULT_USER is missing: DEFAULT_PASSWORD needs the administrator email it belongs to');
  }
  if (env.SESSION_IDLE_MINUTES > env.SESSION_ABSOLUTE_MINUTES) {
    problems.push('SESSION_IDLE_MINUTES must not exceed SESSION_ABSOLUTE_MINUTES');
  }
  const accent = env.PORTAL_ACCENT ? accentPalette(env.PORTAL_ACCENT) : null;
  if (typeof accent === 'string') {
    problems.push(accent);
  }
  const logo = env.PORTAL_LOGO ? readLogo(env.PORTAL_LOGO) : null;
  if (typeof logo === 'string') {
    problems.push(logo);
  }
  if (problems.length > 0) {
    throw new ConfigError(problems);
  }

  const dataDir = path.resolve(env.DATA_DIR);
  const appUrl = new URL(env.APP_URL ?? `http://${env.HOST.includes(':') ? `[${env.HOST}]` : env.HOST}:${env.PORT}`);
  const database = !env.DATABASE_URL
    ? { kind: 'sqlite' as const, file: path.join(dataDir, 'parapet.sqlite') }
    : env.DATABASE_URL.startsWith('sqlite:')
      ? { kind: 'sqlite' as const, file: path.resolve(env.DATABASE_URL.slice('sqlite:'.length)) }
      : { kind: 'postgres' as const, url: env.DATABASE_URL };

  const secrets =
    env.SECRET_KEY && env.PEPPER
      ? { SECRET_KEY: env.SECRET_KEY, PEPPER: env.PEPPER }
      : developmentSecrets(dataDir, env, opts.warn);

  return {
    env,
    isProduction,
    workers: env.WORKERS === 'auto' ? availableParallelism() : Number(env.WORKERS),
    appUrl,
    trustProxy: trustProxy as TrustProxy,
    dataDir,
    database,
    secretKey: secrets.SECRET_KEY,
    pepper: secrets.PEPPER,
    session: { idleMs: env.SESSION_IDLE_MINUTES * 60_000, absoluteMs: env.SESSION_ABSOLUTE_MINUTES * 60_000 },
    argon2: { memoryCost: env.ARGON2_MEMORY_KIB, timeCost: env.ARGON2_TIME_COST },
    ticketCategories: [
      ...new Set(
        env.TICKET_CATEGORIES.split(',')
          .map((c) => c.trim().slice(0, 40))
          .filter(Boolean),
      ),
    ],
    imap: imap as ImapSettings | null,
    brand: { name: env.PORTAL_NAME, logo: logo as Brand['logo'], accent: accent as AccentPalette | null },
    mailFrom: withDisplayName(env.MAIL_FROM, env.PORTAL_NAME),
    totpIssuer: env.TOTP_ISSUER ?? (env.PORTAL_NAME.replace(/:/g, '').trim() || 'Support'),
    supportName: env.SUPPORT_NAME ?? env.PORTAL_NAME,
  };
}

/** PORTAL_LOGO read and checked: a file, at most LOGO_MAX_BYTES, a PNG, WebP or SVG by its bytes; or what is wrong. */
function readLogo(file: string): Brand['logo'] | string {
  const resolved = path.resolve(file);
  let stat;
  try {
    stat = statSync(resolved);
  } catch {
    return `PORTAL_LOGO ${JSON.stringify(file)} does not exist (resolved to ${resolved})`;
  }
  if (!stat.isFile()) {
    return `PORTAL_LOGO ${JSON.stringify(file)} is not a file`;
  }
  if (stat.size > LOGO_MAX_BYTES) {
    return `PORTAL_LOGO ${JSON.stringify(file)} is ${Math.ceil(stat.size / 1024)} KiB: at most ${LOGO_MAX_BYTES / 1024} KiB (a header logo; export a smaller PNG, WebP or SVG)`;
  }
  const body = readFileSync(resolved);
  const type = sniffLogo(body);
  if (!type) {
    return `PORTAL_LOGO ${JSON.stringify(file)} is not a PNG, WebP or SVG image (judged by its content, not its name)`;
  }
  return { body, type };
}

/** A bare MAIL_FROM address gets the portal's name as its display name: "Acme Support" <support@acme.example>. */
function withDisplayName(from: string, name: string): string {
  if (from.includes('<')) {
    return from;
  }
  return `"${name.replace(/[\\"]/g, '\\$&')}" <${from.trim()}>`;
}

/** Outside production, missing secrets are generated once and kept so sessions and hashes survive restarts. */
function developmentSecrets(
  dataDir: string,
  env: Env,
  warn = (msg: string) => console.warn(msg),
): { SECRET_KEY: string; PEPPER: string } {
  const file = path.join(dataDir, 'dev-secrets.json');
  let stored: Partial<Record<'SECRET_KEY' | 'PEPPER', string>> = {};
  if (existsSync(file)) {
    stored = JSON.parse(readFileSync(file, 'utf8')) as typeof stored;
  }
  const secrets = {
    SECRET_KEY: env.SECRET_KEY ?? stored.SECRET_KEY ?? randomBytes(48).toString('base64url'),
    PEPPER: env.PEPPER ?? stored.PEPPER ?? randomBytes(48).toString('base64url'),
  };
  if (stored.SECRET_KEY !== secrets.SECRET_KEY || stored.PEPPER !== secrets.PEPPER) {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    writeFileSync(file, JSON.stringify({ SECRET_KEY: secrets.SECRET_KEY, PEPPER: secrets.PEPPER }, null, 2), {
      mode: 0o600,
    });
  }
  // `mode` applies only when the file is created: one written by an older version may be readable by others.
  chmodSync(file, 0o600);
  warn(
    [
      '!'.repeat(78),
      `!! SECRET_KEY and/or PEPPER are not set. Using development secrets kept in ${file}.`,
      '!! Never run like this in production: set both (NODE_ENV=production refuses to start without them).',
      '!'.repeat(78),
    ].join('\n'),
  );
  return secrets;
}
