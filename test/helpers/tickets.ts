import type { LightMyRequestResponse } from 'fastify';
import type { DB, Millis, Priority, TicketStatus } from '../../src/db/database.ts';
import { postMultipart, type TestClient, type UploadFile } from './client.ts';

/** Opens a ticket through the form as the client's user would; returns its id. */
export async function openTicket(
  client: TestClient,
  fields: { subject?: string; message?: string; priority?: string; category?: string; client_email?: string } = {},
): Promise<number> {
  await client.get('/tickets/new');
  const res: LightMyRequestResponse = await client.post('/tickets', {
    subject: 'Printer on fire',
    message: 'It started smoking\nafter the update.',
    priority: 'normal',
    ...fields,
  });
  const location = String(res.headers.location ?? '');
  const id = Number(/^\/tickets\/(\d+)$/.exec(location)?.[1]);
  if (!id) {
    throw new Error(`opening a ticket failed with ${res.statusCode}: ${res.body.slice(0, 500)}`);
  }
  return id;
}

/**
 * Adds a message to a ticket through its page, as the client's user would (an internal note, through the note
 * form, with `internal`; attachments with `files`); throws unless the app answered 303. For tests whose subject is something else.
 */
export async function postMessage(
  client: TestClient,
  ticketId: number,
  message: string,
  opts: { internal?: boolean; files?: UploadFile[] } = {},
): Promise<void> {
  await client.get(`/tickets/${ticketId}`);
  const fields = { message };
  const url = `/tickets/${ticketId}/${opts.internal ? 'notes' : 'messages'}`;
  const res = opts.files ? await postMultipart(client, url, fields, opts.files) : await client.post(url, fields);
  if (res.statusCode !== 303) {
    throw new Error(`posting a message to ticket ${ticketId} failed with ${res.statusCode}: ${res.body.slice(0, 500)}`);
  }
}

export interface TicketRow {
  subject: string;
  status: TicketStatus;
  priority: Priority;
  /** Creation time; also the last activity unless `updatedAt` is given. */
  createdAt: Millis;
  updatedAt: Millis;
}

/**
 * Inserts `n` tickets of `client` straight into the database, without messages and without search index entries
 * (for lists, pages and counts): ticket i is "Bulk ticket i", awaiting staff, created and last active i seconds
 * before `now` (so ticket 0 is the newest). `row(i)` overrides any of that. Returns the ids in order.
 */
export async function insertTickets(
  db: DB,
  client: { id: number },
  n: number,
  now: Millis,
  row: (i: number) => Partial<TicketRow> = () => ({}),
): Promise<number[]> {
  if (n === 0) {
    return [];
  }
  const values = Array.from({ length: n }, (_, i) => {
    const t: TicketRow = {
      subject: `Bulk ticket ${i}`,
      status: 'awaiting_staff',
      priority: 'normal',
      createdAt: now - i * 1000,
      updatedAt: now - i * 1000,
      ...row(i),
    };
    return {
      client_id: client.id,
      created_by: client.id,
      assignee_id: null,
      subject: t.subject,
      status: t.status,
      priority: t.priority,
      category: null,
      created_at: t.createdAt,
      updated_at: t.updatedAt,
      client_updated_at: t.updatedAt,
      resolved_at: null,
    };
  });
  const rows = await db.insertInto('tickets').values(values).returning('id').execute();
  return rows.map((r) => r.id);
}
