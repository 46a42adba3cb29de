import type { Role } from '../../src/db/database.ts';
import type { GenTicket } from './generate.ts';

export interface UserRow {
  id: number;
  email: string;
  name: string;
  role: Role;
  createdAt: number;
  totpSecretEnc: string;
}

export interface ResetCounts {
  tickets: number;
  messages: number;
  attachments: number;
  users: number;
}

/** What the seeder needs from a database; one implementation per dialect, each using its driver directly. */
export interface Store {
  readonly kind: 'sqlite' | 'postgres';
  /** Tickets per transaction. */
  readonly batchSize: number;
  /** The highest id used so far (including ids of deleted rows the database will not hand out again). */
  maxIds(): Promise<{ users: number; tickets: number; messages: number }>;
  countTickets(): Promise<number>;
  usersWithDomain(domain: string): Promise<Array<{ id: number; email: string }>>;
  /** Deletes every ticket, message and attachment (and FTS row), then the given users. */
  reset(userIds: number[]): Promise<ResetCounts>;
  /** New users are inserted with their ids; existing ones get the demo password, 2FA secret and a verified email. */
  saveUsers(insert: UserRow[], update: UserRow[], passwordHash: string, now: number): Promise<void>;
  beginLoad(): Promise<void>;
  /** May return before the batch is written (PostgreSQL keeps a few in flight); `flush` waits for all. */
  writeTickets(batch: GenTicket[]): Promise<void>;
  flush(): Promise<void>;
  /** Restores settings, resets sequences, runs ANALYZE. Safe to call after a failure. */
  endLoad(analyze: boolean): Promise<void>;
  /** The client with the most tickets, and how many they own. */
  busiestClient(): Promise<{ id: number; email: string; tickets: number } | undefined>;
}
