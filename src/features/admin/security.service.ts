import type { ServiceDeps } from '../../app-deps.ts';
import type { Limits } from '../../plugins/rate-limit.ts';
import type { Origin } from '../../lib/origin.ts';
import { recordAudit } from '../../audit/audit.repository.ts';
import { findUserIdByEmail } from '../users/user.repository.ts';
import {
  emailsTriedFrom,
  failedLoginsByIp,
  listAuditEvents,
  type AuditFilter,
  type AuditRow,
} from './admin.repository.ts';
import type { AuditQuery } from './admin.schemas.ts';

const SECURITY_PAGE_SIZE = 25;
export const FAILED_LOGIN_WINDOW_DAYS = 30;
const DAY = 24 * 3_600_000;
/** Addresses shown per IP; more are fetched so that each IP keeps some when one tried many. */
const EMAILS_SHOWN = 10;
const EMAILS_FETCHED = 20;

export type SecurityDeps = Pick<ServiceDeps, 'db' | 'clock'> & {
  /** The per-IP sign-in limiter: its blocks are shown and lifted here. */
  limits: Pick<Limits, 'loginIp'>;
};

export interface FailedIpRow {
  ip: string;
  attempts: number;
  lastAttempt: number;
  lockedUntil: number | null;
  emails: string[];
}

const pageOf = (page: number) => ({ limit: SECURITY_PAGE_SIZE + 1, offset: (page - 1) * SECURITY_PAGE_SIZE });

export async function failedLoginsPage(
  deps: SecurityDeps,
  page: number,
): Promise<{ rows: FailedIpRow[]; hasNext: boolean }> {
  const since = deps.clock.now() - FAILED_LOGIN_WINDOW_DAYS * DAY;
  const groups = await failedLoginsByIp(deps.db, since, pageOf(page));
  const shown = groups.slice(0, SECURITY_PAGE_SIZE);
  const emails = await emailsTriedFrom(
    deps.db,
    shown.map((g) => g.ip),
    since,
    EMAILS_FETCHED,
  );
  const rows = await Promise.all(
    shown.map(async (g) => ({
      ...g,
      lockedUntil: await deps.limits.loginIp.lockedUntil(g.ip),
      emails: emails
        .filter((e) => e.ip === g.ip)
        .map((e) => e.email)
        .slice(0, EMAILS_SHOWN),
    })),
  );
  return { rows, hasNext: groups.length > SECURITY_PAGE_SIZE };
}

export async function unlockIp(deps: SecurityDeps, actorId: number, origin: Origin, ip: string): Promise<void> {
  await deps.limits.loginIp.reset(ip);
  await recordAudit(deps.db, deps.clock.now(), origin, {
    event: 'login.unlocked',
    actorUserId: actorId,
    details: { scope: 'ip', unlockedIp: ip },
  });
}

export async function auditPage(deps: SecurityDeps, q: AuditQuery): Promise<{ rows: AuditRow[]; hasNext: boolean }> {
  const filter: AuditFilter = {};
  if (q.event) {
    filter.event = q.event;
  }
  if (q.ip) {
    filter.ip = q.ip;
  }
  if (q.user?.trim()) {
    filter.userId = (await findUserIdByEmail(deps.db, q.user)) ?? -1;
  }
  if (q.from) {
    filter.from = Date.parse(`${q.from}T00:00:00Z`) || 0;
  }
  if (q.to) {
    filter.before = (Date.parse(`${q.to}T00:00:00Z`) || 0) + DAY;
  }
  const rows = await listAuditEvents(deps.db, filter, pageOf(q.page ?? 1));
  return { rows: rows.slice(0, SECURITY_PAGE_SIZE), hasNext: rows.length > SECURITY_PAGE_SIZE };
}
