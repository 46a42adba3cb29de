import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  messageIdsIn,
  ticketIdFromReplyAddress,
  ticketIdFromSubject,
  ticketIdFromThreadId,
  ticketMailSubject,
  ticketReplyAddress,
  ticketThreadId,
} from '../../src/mail/thread.ts';

const KEY = 'unit-test-secret-key-0123456789-abcdefghij';
const SUPPORT = 'Support@Example.com';

test('a per-ticket reply address names its ticket only with the right MAC, whatever the case', () => {
  const address = ticketReplyAddress(KEY, SUPPORT, 123);
  assert.match(address, /^Support\+123\.[0-9a-f]{12}@example\.com$/);
  assert.equal(ticketIdFromReplyAddress(KEY, SUPPORT, address), 123);
  assert.equal(ticketIdFromReplyAddress(KEY, SUPPORT, address.toUpperCase()), 123, 'relays may change case');
  assert.equal(ticketIdFromReplyAddress(KEY, SUPPORT, ` ${address} `), 123);
  // Another ticket's number with this MAC, a MAC under another key, another domain or local part: nothing.
  assert.equal(ticketIdFromReplyAddress(KEY, SUPPORT, address.replace('+123.', '+124.')), null);
  assert.equal(ticketIdFromReplyAddress('another-key-0123456789-0123456789-abcd', SUPPORT, address), null);
  assert.equal(ticketIdFromReplyAddress(KEY, SUPPORT, address.replace('example.com', 'example.org')), null);
  assert.equal(ticketIdFromReplyAddress(KEY, SUPPORT, address.replace('Support+', 'sales+')), null);
  assert.equal(ticketIdFromReplyAddress(KEY, SUPPORT, 'support@example.com'), null);
  assert.equal(ticketIdFromReplyAddress(KEY, SUPPORT, 'support+0.000000000000@example.com'), null);
  assert.equal(ticketIdFromReplyAddress(KEY, SUPPORT, `support+123.${'0'.repeat(12)}@example.com`), null);
});

test('thread ids carry a MAC too; subjects carry a stable tag', () => {
  const id = ticketThreadId(KEY, 'help.example.com', 42);
  assert.match(id, /^ticket\.42\.[0-9a-f]{12}@help\.example\.com$/);
  assert.equal(ticketIdFromThreadId(KEY, id), 42);
  assert.equal(ticketIdFromThreadId(KEY, `<${id}>`), 42);
  assert.equal(ticketIdFromThreadId(KEY, id.replace('ticket.42.', 'ticket.43.')), null);
  assert.equal(ticketIdFromThreadId(KEY, 'ticket.42.000000000000@help.example.com'), null);

  assert.equal(ticketMailSubject(7, 'Printer on fire'), '[#000007] Printer on fire');
  assert.equal(ticketIdFromSubject('Re: AW: [#000007] Printer on fire'), 7);
  assert.equal(ticketIdFromSubject('Printer [#0] on fire'), null);
  assert.equal(ticketIdFromSubject('no tag #000007'), null);
  assert.deepEqual(messageIdsIn('<a@x> junk <b@y>\r\n <c@z>'), ['a@x', 'b@y', 'c@z']);
  assert.deepEqual(messageIdsIn(undefined), []);
});
