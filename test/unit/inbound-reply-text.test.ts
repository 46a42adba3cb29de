import assert from 'node:assert/strict';
import { test } from 'node:test';
import { replyText } from '../../src/features/inbound/reply-text.ts';
import { REPLY_ABOVE_LINE } from '../../src/mail/thread.ts';

test('our marker: everything from it (and the attribution above it) is history', () => {
  assert.equal(replyText(`Fixed, thanks.\n\n${REPLY_ABOVE_LINE}\nAlex replied: ...`), 'Fixed, thanks.');
  assert.equal(
    replyText(
      `Fixed, thanks.\n\nOn Sat, 5 Dec 2026 at 10:30, Support <s@x.example> wrote:\n> ${REPLY_ABOVE_LINE}\n> old`,
    ),
    'Fixed, thanks.',
  );
  assert.equal(
    replyText(
      `Fixed, thanks.\n\nOn Sat, 5 Dec 2026 at 10:30, Parapet Support\n<s@x.example> wrote:\n\n>${REPLY_ABOVE_LINE}\n> old`,
    ),
    'Fixed, thanks.',
  );
});

test('Gmail, Apple Mail, German and French attributions, on one line or wrapped over two', () => {
  const cases: [string, string][] = [
    ['Yes.\n\nOn Tue, Dec 1, 2026 at 9:00 AM Alex <a@x.example> wrote:\n> Can we?', 'Yes.'],
    ['Yes.\n\nOn Tue, Dec 1, 2026 at 9:00 AM Alex <\na@x.example> wrote:\n\n> Can we?', 'Yes.'],
    ['Yes.\n\nOn 5 Dec 2026, at 10:00, Alex <a@x.example> wrote:\n\n> Can we?', 'Yes.'],
    ['Ja.\n\nAm 05.12.2026 um 10:00 schrieb Alex <a@x.example>:\n> Können wir?', 'Ja.'],
    ['Ja.\n\nAm Sa., 5. Dez. 2026 um 10:00 Uhr schrieb Alex <a@x.example>:\n> Können wir?', 'Ja.'],
    ['Oui.\n\nLe sam. 5 déc. 2026 à 10:00, Alex <a@x.example> a écrit :\n> Pouvons-nous ?', 'Oui.'],
  ];
  for (const [text, reply] of cases) {
    assert.equal(replyText(text), reply, text);
  }
});

test('Outlook: "-----Original Message-----", the underscore line, and header blocks in English and German', () => {
  assert.equal(replyText('Done.\n\n-----Original Message-----\nFrom: Alex\nSent: today\nold'), 'Done.');
  assert.equal(
    replyText(
      'Done.\n\n________________________________\nFrom: Alex <a@x.example>\nSent: Saturday\nTo: Bob\nSubject: Hi\n\nold',
    ),
    'Done.',
  );
  assert.equal(
    replyText(
      'Erledigt.\n\nVon: Alex <a@x.example>\nGesendet: Samstag, 5. Dezember 2026 10:00\nAn: Bob\nBetreff: Hallo\n\nalt',
    ),
    'Erledigt.',
  );
  assert.equal(
    replyText(
      'Done.\n\nFrom: Alex <a@x.example>\nDate: Saturday, 5 December 2026 at 10:00\nTo: Bob\nSubject: Hi\n\nold',
    ),
    'Done.',
  );
});

test('a "From:" line that starts no header block is the reply’s own text', () => {
  const text = 'From: the second floor, the printer is on fire.\nPlease hurry.';
  assert.equal(replyText(text), text);
});

test('a forwarded message stays: the forward marker and its headers are no quote header', () => {
  const text =
    'See below.\n\n---------- Forwarded message ---------\nFrom: Shop <o@shop.example>\nDate: Mon, 30 Nov 2026\nSubject: Order\nTo: <j@c.example>\n\nShipped.';
  assert.equal(replyText(text), text);
});

test('never empty when there was text: a bottom-posted reply keeps its text, a bare quote is kept whole', () => {
  assert.equal(replyText('> Can we come on Thursday?\n\nYes, Thursday is fine.'), 'Yes, Thursday is fine.');
  assert.equal(
    replyText('On Tue, Dec 1, 2026 at 9:00 AM Alex <a@x.example> wrote:\n> only history'),
    'On Tue, Dec 1, 2026 at 9:00 AM Alex <a@x.example> wrote:\n> only history',
  );
  assert.equal(replyText('-- \nJane'), '-- \nJane');
  assert.equal(replyText(''), '');
  assert.equal(replyText(' \n\t\n'), '');
});

test('signatures: "-- " and "Sent from my iPhone" go, the text above stays', () => {
  assert.equal(replyText('Thanks!\n\n-- \nJane Doe\nACME'), 'Thanks!');
  assert.equal(replyText('Thanks!\n\nSent from my iPhone'), 'Thanks!');
});

test('hostile input cannot make it slow: long lines and many header-like lines, 100 KB each, in well under a second', () => {
  const inputs = [
    'On ' + 'a '.repeat(50_000),
    '1234'.repeat(25_000) + 'from',
    'Op x\n'.repeat(20_000),
    '在 x\n'.repeat(20_000),
    'From: a <\n'.repeat(10_000),
    ('On a b c\n' + 'x'.repeat(600) + '\n').repeat(150),
    'Am x\n'.repeat(25_000),
    'abc. x skrev y\n'.repeat(1000),
    'Op x\nschreef y\n'.repeat(1000),
    'abc. x skrev y\n'.repeat(199),
    'Op x\nschreef y\n'.repeat(199),
  ];
  for (const input of inputs) {
    const started = process.hrtime.bigint();
    const reply = replyText(input);
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    assert.ok(ms < 1000, `${ms} ms for ${JSON.stringify(input.slice(0, 20))}`);
    assert.ok(reply.length > 0);
  }
});

test('beyond what the library may see: cut at the signature line, trailing quotes dropped', () => {
  const long = 'A long report. '.repeat(300).trim();
  assert.equal(replyText(`${long}\n\n-- \nJane\n> old`), long);
  assert.equal(replyText(`${long}\n\n> old\n> older`), long);
});

test('long lines are kept whole in the reply, a long quoted line is still a quote', () => {
  assert.equal(replyText(`Short answer.\n\n> ${'quoted '.repeat(100)}`), 'Short answer.');
  const long = 'word '.repeat(400).trim();
  assert.equal(replyText(`${long}\n\nOn Tue, 1 Dec 2026, Alex <a@x.example> wrote:\n> old`), long);
});
