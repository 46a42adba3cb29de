import type { LightMyRequestResponse } from 'fastify';
import type { TestClient } from './client.ts';

/** Opens a ticket through the form as the client's user would; returns its id. */
export async function openTicket(client: TestClient, fields: { subject?: string; message?: string; priority?: string; category?: string; client_email?: string } = {}): Promise<number> {
  await client.get('/tickets/new');
  const res: LightMyRequestResponse = await client.post('/tickets', { subject: 'Printer on fire', message: 'It started smoking\nafter the update.', priority: 'normal', ...fields });
  const location = String(res.headers.location ?? '');
  const id = Number(/^\/tickets\/(\d+)$/.exec(location)?.[1]);
  if (!id) {
    throw new Error(`opening a ticket failed with ${res.statusCode}: ${res.body.slice(0, 500)}`);
  }
  return id;
}
