import type { ServiceDeps } from '../../app-deps.ts';
import type { User } from '../../db/database.ts';
import { MAX_PAUSE_MS } from '../auth/login-throttle.ts';
import { isStaff } from '../tickets/ticket.policy.ts';
import {
  assignedOpen,
  awaitingStaff,
  clientHasTickets,
  clientOpen,
  clientWaiting,
  countFailedLoginsSince,
  countHeldMail,
  countPausedSignIns,
  countUndeliverable,
  HOME_COUNT_CAP,
  recentFailedLoginIps,
  unassignedOpen,
  type HomeList,
} from './home.repository.ts';

export type HomeDeps = Pick<ServiceDeps, 'db' | 'now' | 'limits' | 'ipLockMinutes'> & {
  /** LOGIN_WINDOW_MINUTES: how far back a failure can still count towards an IP's block. */
  loginWindowMinutes: number;
};

/** Rows in each list of the home pages. */
export const HOME_LIST_SIZE = 5;
const DAY_MS = 24 * 3_600_000;
/** The newest failed sign-ins read to find the IP addresses that may be blocked now. */
const RECENT_FAILURES_READ = 1_000;

export interface ClientHome {
  kind: 'client';
  /** False for a brand-new client: the page explains what to do instead of showing empty lists. */
  hasTickets: boolean;
  waiting: HomeList;
  open: HomeList;
}

export interface SecuritySignals {
  failedSignIns: number;
  pausedSignIns: number;
  blockedIps: number;
  /** Only the IP addresses of the newest failures were checked: there may be more blocked ones. */
  blockedIpsPartial: boolean;
  undeliverable: number;
  heldMail: number;
}

export interface StaffHome {
  kind: 'staff';
  unassigned: HomeList;
  mine: HomeList;
  awaitingStaff: HomeList;
  /** Administrators only. */
  signals: SecuritySignals | null;
}

export type HomeData = ClientHome | StaffHome;

/** What the signed-in home page shows: a client's own tickets, or the staff queue (and security signals for admins). */
export async function loadHome(deps: HomeDeps, viewer: User): Promise<HomeData> {
  const { db } = deps;
  if (!isStaff(viewer)) {
    const [waiting, open] = await Promise.all([
      clientWaiting(db, viewer.id, HOME_LIST_SIZE),
      clientOpen(db, viewer.id, HOME_LIST_SIZE),
    ]);
    const hasTickets = open.count > 0 || (await clientHasTickets(db, viewer.id));
    return { kind: 'client', hasTickets, waiting, open };
  }
  const [unassigned, mine, awaiting, signals] = await Promise.all([
    unassignedOpen(db, HOME_LIST_SIZE),
    assignedOpen(db, viewer.id, HOME_LIST_SIZE),
    awaitingStaff(db, HOME_LIST_SIZE),
    viewer.role === 'administrator' ? securitySignals(deps) : Promise.resolve(null),
  ]);
  return { kind: 'staff', unassigned, mine, awaitingStaff: awaiting, signals };
}

async function securitySignals(deps: HomeDeps): Promise<SecuritySignals> {
  const { db, now } = deps;
  const [failedSignIns, pausedSignIns, blocked, undeliverable, heldMail] = await Promise.all([
    countFailedLoginsSince(db, now - DAY_MS),
    countPausedSignIns(db, now, MAX_PAUSE_MS),
    blockedIps(deps),
    countUndeliverable(db),
    countHeldMail(db),
  ]);
  return { failedSignIns, pausedSignIns, ...blocked, undeliverable, heldMail };
}

/**
 * IP addresses whose sign-in limit is blocked now. The limiter's counters may live in Redis, so they are not counted
 * by a query: the addresses of the newest failures within the limit's window and block are asked one by one (at
 * most HOME_COUNT_CAP + 1 of them).
 */
async function blockedIps(deps: HomeDeps): Promise<{ blockedIps: number; blockedIpsPartial: boolean }> {
  const since = deps.now - (deps.loginWindowMinutes + deps.ipLockMinutes) * 60_000;
  const { ips, more } = await recentFailedLoginIps(deps.db, since, RECENT_FAILURES_READ);
  const checked = ips.slice(0, HOME_COUNT_CAP + 1);
  const until = await Promise.all(checked.map((ip) => deps.limits.loginIp.lockedUntil(ip)));
  return {
    blockedIps: until.filter((u) => u !== null).length,
    blockedIpsPartial: more || checked.length < ips.length,
  };
}
