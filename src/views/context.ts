import { createContext } from 'preact';
import type { User } from '../db/database.ts';

export type FlashKind = 'success' | 'error' | 'info';
export interface Flash {
  kind: FlashKind;
  message: string;
}

/** What every page needs from the request, built once per render. */
export interface PageContext {
  /** PORTAL_NAME: the company's name for the portal, in the header and every title. */
  productName: string;
  /** The URL of PORTAL_LOGO, or null for the built-in mark. */
  logoUrl: string | null;
  /** The stylesheet of PORTAL_ACCENT (after app.css), or null when the default colours apply. */
  brandCssUrl: string | null;
  user: User | null;
  csrfToken: string;
  flash: Flash | null;
  /** A notice about this page itself (a filter in the address that was reset). */
  notice: string | null;
  currentPath: string;
  /** The viewer's IANA time zone: the account's, else the browser's (`tz` cookie), else UTC. */
  timeZone: string;
  /** The clock at the render: relative times ("3 hours ago") are counted from it. */
  now: number;
  asset(name: string): string;
}

/**
 * The page context for components deep in a page (the time component), without passing it through every table
 * cell: `reply.page` provides it around the view.
 */
export const PageContextHolder = createContext<PageContext | null>(null);
