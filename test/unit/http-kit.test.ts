import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { User } from '../../src/db/database.ts';
import { parseForm } from '../../src/http/forms.ts';
import { authorize } from '../../src/http/policy.ts';
import { Checkbox, EmailAddress, Form, Line, Multiline, OneOf } from '../../src/http/schemas.ts';
import { defineSubject } from '../../src/http/subject.ts';
import { AppError } from '../../src/lib/errors.ts';

const TicketForm = Form({
  subject: Line({ title: 'Subject', minLength: 1, maxLength: 20, messages: { required: 'Write a subject.' } }),
  message: Multiline({ title: 'Message', minLength: 1, maxLength: 100 }),
  email: EmailAddress({ title: 'Email' }),
  priority: OneOf(['low', 'high'] as const, { title: 'Priority' }),
  internal: Checkbox(),
});

test('parseForm cleans each field as its schema says and returns typed data', () => {
  const form = parseForm(TicketForm, {
    _csrf: 'token',
    subject: '  A\tsubject \n here ',
    message: 'line one\r\nline two\u0007 ',
    email: ' Ada@Example.COM ',
    priority: 'high',
    internal: '1',
  });
  assert.ok(form.ok);
  assert.deepEqual(
    { ...form.data, _csrf: undefined },
    {
      _csrf: undefined,
      subject: 'A subject here',
      message: 'line one\nline two',
      email: 'ada@example.com',
      priority: 'high',
      internal: '1',
    },
  );
  assert.equal(form.values.subject, 'A subject here');
  assert.equal('_csrf' in form.values, false, 'the CSRF token is never echoed into the form values');
});

test('parseForm gives one message per field, checked after cleaning, and keeps what was typed', () => {
  const form = parseForm(TicketForm, { subject: '   ', message: 'x'.repeat(1234), email: 'a@b.c', priority: 'urgent' });
  assert.equal(form.ok, false);
  assert.ok(!form.ok);
  assert.equal(form.errors.subject, 'Write a subject.', 'spaces only are no subject');
  assert.equal(form.errors.message, 'Message can have up to 100 characters (this one has 1,234).');
  assert.equal(form.errors.priority, 'Choose priority from the list.');
  assert.equal(form.errors.email, undefined);
  assert.equal(form.values.message, 'x'.repeat(1234), 'the text is kept for the re-rendered form');
});

test('parseForm refuses what a form cannot send: unknown fields, repeated fields, no object at all', () => {
  const base = { subject: 'S', message: 'M', email: 'a@b.c', priority: 'low' };
  const extra = parseForm(TicketForm, { ...base, role: 'administrator' });
  assert.ok(!extra.ok);
  assert.match(extra.errors.form ?? '', /could not be read/);
  assert.equal('role' in extra.values, false, 'unknown fields are not echoed');
  const repeated = parseForm(TicketForm, { ...base, priority: ['low', 'high'] });
  assert.ok(!repeated.ok);
  assert.equal(repeated.errors.priority, 'Choose priority from the list.');
  for (const body of [null, undefined, 'subject=S', ['S']]) {
    const none = parseForm(TicketForm, body);
    assert.ok(!none.ok);
    assert.match(none.errors.form ?? '', /could not be read/);
  }
});

const alice = { id: 1, role: 'client' } as User;
const staff = { id: 2, role: 'agent' } as User;
const policy = {
  view: (user: User, ticket: { client_id: number }) => user.role !== 'client' || ticket.client_id === user.id,
  delete: (user: User) => user.role === 'administrator',
};

test('authorize answers 404 for a missing subject and for one the user may not act on', () => {
  const own = { client_id: 1 };
  const other = { client_id: 9 };
  authorize(policy, alice, 'view', own);
  authorize(policy, staff, 'view', other);
  for (const [user, action, subject] of [
    [alice, 'view', other],
    [alice, 'view', null],
    [staff, 'view', undefined],
    [staff, 'delete', own],
  ] as const) {
    assert.throws(
      () => authorize(policy, user, action, subject),
      (error: unknown) => error instanceof AppError && error.statusCode === 404 && error.code === 'not_found',
    );
  }
});

test('a subject is only readable after its loader ran for that request', async () => {
  const ticket = defineSubject<{ id: number }>('ticket');
  const request = {} as FastifyRequest;
  assert.throws(() => ticket.of(request), /was not loaded/);
  const load = ticket.loader(async () => ({ id: 7 }));
  await load.call(undefined as never, request, {} as FastifyReply);
  assert.deepEqual(ticket.of(request), { id: 7 });
  assert.throws(() => ticket.of({} as FastifyRequest), /was not loaded/, 'another request sees nothing');
});
