import { presentTicketRow, type TicketRowView } from '../tickets/ticket.presenter.ts';
import { HOME_COUNT_CAP, type HomeList } from './home.repository.ts';
import type { HomeData, SecuritySignals } from './home.service.ts';

/** A count as the home page shows it: "99+" past the cap. */
export function countLabel(n: number): string {
  return n > HOME_COUNT_CAP ? `${HOME_COUNT_CAP}+` : String(n);
}

export const COUNT_CAP_NOTE = `Counts stop at ${HOME_COUNT_CAP}: more show as ${HOME_COUNT_CAP}+.`;

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** How long since `since`, in the largest whole unit: "under a minute", "12 minutes", "3 hours", "5 days". */
export function waitedFor(now: number, since: number): string {
  const ms = Math.max(0, now - since);
  if (ms < MINUTE) {
    return 'under a minute';
  }
  if (ms < HOUR) {
    return plural(Math.floor(ms / MINUTE), 'minute');
  }
  if (ms < DAY) {
    return plural(Math.floor(ms / HOUR), 'hour');
  }
  return plural(Math.floor(ms / DAY), 'day');
}

export type HomeRowView = TicketRowView & { waited: string };

export interface HomeListView {
  rows: HomeRowView[];
  count: string;
  /** Whether there are more than the rows shown (the link to the full list says so). */
  more: boolean;
  /** The ticket list with the same filter. */
  href: string;
}

function presentList(list: HomeList, now: number, href: string): HomeListView {
  return {
    rows: list.rows.map((row) => ({ ...presentTicketRow(row), waited: waitedFor(now, row.updated_at) })),
    count: countLabel(list.count),
    more: list.count > list.rows.length,
    href,
  };
}

/** The ticket list links of each home list: the same tickets, as filters /tickets understands. */
export const HOME_LINKS = {
  clientWaiting: '/tickets?status=awaiting_client',
  clientOpen: '/tickets?status=open',
  unassigned: '/tickets?status=open&assignee=none',
  mine: '/tickets?status=open&assignee=me',
  awaitingStaff: '/tickets?status=awaiting_staff',
} as const;

export interface SignalView {
  label: string;
  count: string;
  href: string;
  /** Non-zero: drawn to the eye. */
  alert: boolean;
  hint: string;
}

function presentSignals(s: SecuritySignals): SignalView[] {
  return [
    {
      label: 'Failed sign-ins, last 24 hours',
      count: countLabel(s.failedSignIns),
      href: '/admin/failed-logins',
      alert: s.failedSignIns > 0,
      hint: 'Wrong passwords and codes, unknown addresses and refused attempts.',
    },
    {
      label: 'Sign-ins paused now',
      count: countLabel(s.pausedSignIns),
      href: '/admin/failed-logins',
      alert: s.pausedSignIns > 0,
      hint: 'Email addresses (known or not) and devices waiting after repeated failures.',
    },
    {
      label: 'IP addresses blocked now',
      count: s.blockedIpsPartial && s.blockedIps <= HOME_COUNT_CAP ? `${s.blockedIps}+` : countLabel(s.blockedIps),
      href: '/admin/failed-logins',
      alert: s.blockedIps > 0,
      hint: s.blockedIpsPartial
        ? 'Checked among the addresses of the newest failed sign-ins only.'
        : 'Addresses refused after too many failed sign-ins.',
    },
    {
      label: 'Undeliverable addresses',
      count: countLabel(s.undeliverable),
      href: '/admin/mail#undeliverable-title',
      alert: s.undeliverable > 0,
      hint: 'Addresses our email bounced from.',
    },
    {
      label: 'Held inbound mail',
      count: countLabel(s.heldMail),
      href: '/admin/mail#held-title',
      alert: s.heldMail > 0,
      hint: 'Email waiting for a decision before it reaches a ticket.',
    },
  ];
}

export type HomeView =
  | { kind: 'client'; hasTickets: boolean; waiting: HomeListView; open: HomeListView }
  | {
      kind: 'staff';
      unassigned: HomeListView;
      mine: HomeListView;
      awaitingStaff: HomeListView;
      signals: SignalView[] | null;
    };

export function presentHome(data: HomeData, now: number): HomeView {
  if (data.kind === 'client') {
    return {
      kind: 'client',
      hasTickets: data.hasTickets,
      waiting: presentList(data.waiting, now, HOME_LINKS.clientWaiting),
      open: presentList(data.open, now, HOME_LINKS.clientOpen),
    };
  }
  return {
    kind: 'staff',
    unassigned: presentList(data.unassigned, now, HOME_LINKS.unassigned),
    mine: presentList(data.mine, now, HOME_LINKS.mine),
    awaitingStaff: presentList(data.awaitingStaff, now, HOME_LINKS.awaitingStaff),
    signals: data.signals && presentSignals(data.signals),
  };
}
