// Builds tickets with their threads in memory, the same shape the app writes (see ticket.service.ts):
// messages alternate client/staff, with occasional internal notes and status/priority events;
// message_count counts client-visible messages and updated_at is the time of the last entry.
import type { MessageKind, Priority, TicketStatus } from '../../src/db/database.ts';
import { Rng, weighted } from './random.ts';
import { clientFollowup, firstMessage, internalNote, staffReply, subject, topicsFor } from './text.ts';

export interface Person {
  id: number;
  first: string;
}

export interface Cast {
  clients: Person[];
  agents: Person[];
  admins: Person[];
}

export interface GenMessage {
  id: number;
  authorId: number | null;
  kind: MessageKind;
  body: string;
  createdAt: number;
}

export interface GenTicket {
  id: number;
  clientId: number;
  createdBy: number | null;
  assigneeId: number | null;
  subject: string;
  status: TicketStatus;
  priority: Priority;
  category: string | null;
  messageCount: number;
  createdAt: number;
  updatedAt: number;
  /** The last entry the client sees (not an internal note), as the app keeps tickets.client_updated_at. */
  clientUpdatedAt: number;
  resolvedAt: number | null;
  messages: GenMessage[];
}

const DAY = 86_400_000;
const HOUR = 3_600_000;
const MINUTE = 60_000;
export const SPAN_MS = 730 * DAY;

const pickPriority = weighted<Priority>([
  ['low', 20],
  ['normal', 55],
  ['high', 18],
  ['urgent', 7],
]);

const CATEGORY_WEIGHTS: Record<string, number> = {
  General: 25,
  Billing: 20,
  'Technical problem': 35,
  Account: 15,
  'Feature request': 5,
};

export interface GeneratorOptions {
  seed: number;
  cast: Cast;
  categories: string[];
  messagesPerTicket: number;
  /** Tickets in this run: creation times are spread evenly (a little denser towards now) over the last two years. */
  total: number;
  firstTicketId: number;
  firstMessageId: number;
  now: number;
}

export class TicketGenerator {
  private readonly rng: Rng;
  private readonly pickCategory: (rng: Rng) => string | null;
  private nextTicketId: number;
  private nextMessageId: number;
  private index = 0;
  private readonly staff: Person[];

  constructor(private readonly opts: GeneratorOptions) {
    // Seeded by the first id too, so an appending run makes different (but still reproducible) tickets.
    this.rng = new Rng((opts.seed * 1_000_003 + opts.firstTicketId) >>> 0);
    this.nextTicketId = opts.firstTicketId;
    this.nextMessageId = opts.firstMessageId;
    this.staff = [...opts.cast.agents, ...opts.cast.admins];
    const entries: Array<[string | null, number]> = opts.categories.map((c) => [c, CATEGORY_WEIGHTS[c] ?? 10]);
    const sum = entries.reduce((s, [, w]) => s + w, 0);
    entries.push([null, sum / 9]); // ~10% without a category
    this.pickCategory = weighted(entries);
  }

  get messageIdsUsed(): number {
    return this.nextMessageId - this.opts.firstMessageId;
  }

  next(): GenTicket {
    const { rng, opts } = this;
    const { cast, now } = opts;
    const id = this.nextTicketId++;
    const u = (this.index++ + rng.next()) / opts.total;
    const createdAt = Math.floor(now - SPAN_MS + (SPAN_MS - HOUR) * u ** 0.8);
    const client = cast.clients[Math.floor(cast.clients.length * rng.next() ** 1.5)] as Person;
    const onBehalf = rng.chance(0.05);
    const assignee = rng.chance(0.6) ? (rng.chance(0.92) ? rng.pick(cast.agents) : rng.pick(cast.admins)) : null;
    const responder = assignee ?? rng.pick(this.staff);
    const category = this.pickCategory(rng);
    const topics = topicsFor(category);
    let priority = pickPriority(rng);
    const subjectLine = subject(rng, topics);

    const age = now - createdAt;
    const resolved = rng.chance(age > 14 * DAY ? 0.88 : age > 3 * DAY ? 0.6 : 0.25);
    const m = opts.messagesPerTicket;
    const rows = m <= 1 ? 1 : 2 + rng.int(2 * m - 3);
    const threadSlots = resolved && rows >= 2 ? rows - 1 : rows;

    const messages: GenMessage[] = [];
    let t = createdAt;
    let status: TicketStatus = 'awaiting_staff';
    let lastSide: 'client' | 'staff' = onBehalf ? 'staff' : 'client';
    let messageCount = 0;
    const push = (authorId: number | null, kind: MessageKind, body: string, at: number) => {
      messages.push({ id: this.nextMessageId++, authorId, kind, body, createdAt: at });
    };

    for (let slot = 0; slot < threadSlots; slot++) {
      if (slot === 0) {
        const author = onBehalf ? responder : client;
        push(author.id, 'message', firstMessage(rng, topics, author.first), t);
        messageCount++;
        status = onBehalf ? 'awaiting_client' : 'awaiting_staff';
        continue;
      }
      const roll = rng.next();
      if (roll < 0.08) {
        t += MINUTE + rng.exp(40 * MINUTE);
        push(responder.id, 'note', internalNote(rng), t);
      } else if (roll < 0.11) {
        t += MINUTE + rng.exp(HOUR);
        const to = pickPriority(rng);
        if (to !== priority) {
          push(responder.id, 'event', JSON.stringify({ field: 'priority', from: priority, to }), t);
          priority = to;
        } else {
          push(responder.id, 'note', internalNote(rng), t);
        }
      } else if (roll < 0.2 && slot < threadSlots - 1) {
        // A reply that moves the status, with the status event the app records next to it (same time).
        slot++;
        const side = lastSide === 'client' ? 'staff' : 'client';
        t = this.reply(side, t, client, responder, topics, push);
        const to: TicketStatus = side === 'staff' ? 'awaiting_client' : 'awaiting_staff';
        push(
          (side === 'staff' ? responder : client).id,
          'event',
          JSON.stringify({ field: 'status', from: status, to }),
          t,
        );
        messageCount++;
        status = to;
        lastSide = side;
      } else {
        const side = lastSide === 'client' ? 'staff' : 'client';
        t = this.reply(side, t, client, responder, topics, push);
        messageCount++;
        status = side === 'staff' ? 'awaiting_client' : 'awaiting_staff';
        lastSide = side;
      }
    }
    let resolvedAt: number | null = null;
    if (resolved && rows >= 2) {
      t += 5 * MINUTE + rng.exp(1.5 * DAY);
      const by = rng.chance(0.8) ? responder : client;
      push(by.id, 'event', JSON.stringify({ field: 'status', from: status, to: 'resolved' }), t);
      status = 'resolved';
      resolvedAt = t;
    }

    // Threads that would run into the future are squeezed into the time between creation and now.
    const limit = now - MINUTE;
    if (t > limit) {
      const factor = (limit - createdAt) / (t - createdAt);
      for (const message of messages) {
        message.createdAt = Math.floor(createdAt + (message.createdAt - createdAt) * factor);
      }
    } else {
      for (const message of messages) {
        message.createdAt = Math.floor(message.createdAt);
      }
    }
    const last = messages[messages.length - 1] as GenMessage;
    return {
      id,
      clientId: client.id,
      createdBy: onBehalf ? responder.id : client.id,
      assigneeId: assignee?.id ?? null,
      subject: subjectLine,
      status,
      priority,
      category,
      messageCount,
      createdAt,
      updatedAt: last.createdAt,
      clientUpdatedAt: messages.reduce(
        (latest, e) => (e.kind === 'note' ? latest : Math.max(latest, e.createdAt)),
        createdAt,
      ),
      resolvedAt: resolvedAt === null ? null : last.createdAt,
      messages,
    };
  }

  private reply(
    side: 'client' | 'staff',
    t: number,
    client: Person,
    responder: Person,
    topics: readonly string[],
    push: (authorId: number | null, kind: MessageKind, body: string, at: number) => void,
  ): number {
    const { rng } = this;
    if (side === 'staff') {
      const at = t + 2 * MINUTE + rng.exp(5 * HOUR);
      push(responder.id, 'message', staffReply(rng, topics, client.first, responder.first), at);
      return at;
    }
    const at = t + 5 * MINUTE + rng.exp(18 * HOUR);
    push(client.id, 'message', clientFollowup(rng, topics, client.first), at);
    return at;
  }
}
