import type { User } from '../db/database.ts';

export type FlashKind = 'success' | 'error' | 'info';
export interface Flash {
  kind: FlashKind;
  message: string;
}

/** What every page needs from the request, built once per render. */
export interface PageContext {
  productName: string;
  user: User | null;
  csrfToken: string;
  flash: Flash | null;
  /** A notice about this page itself (a filter in the address that was reset). */
  notice: string | null;
  currentPath: string;
  asset(name: string): string;
}
