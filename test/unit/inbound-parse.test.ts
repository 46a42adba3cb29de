import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { test } from 'node:test';
import type { InboundContext, ParsedInbound } from '../../src/features/inbound/inbound-message.ts';
import { parseInbound, type ParseOptions } from '../../src/features/inbound/parse.ts';
import { acceptUploads } from '../../src/features/tickets/attachments.ts';
import { REPLY_ABOVE_LINE } from '../../src/mail/thread.ts';

const FIXTURES = new URL('../fixtures/mail/', import.meta.url);
const IMAP: InboundContext = { source: 'imap', envelope: null };
const OPTIONS: ParseOptions = {
  trustedAuthservId: 'mx.parapet.example',
  ownAddresses: ['support@parapet.example', 'parapet@parapet.example'],
};

function fixture(name: string): Buffer {
  return readFileSync(new URL(name, FIXTURES));
}

function parse(name: string, ctx: InboundContext = IMAP, opts: ParseOptions = OPTIONS): Promise<ParsedInbound> {
  return parseInbound(fixture(name), ctx, opts);
}

/** A message written in the test: header lines and a body, CRLF line endings. */
function message(headers: string[], body = 'Hello.'): Buffer {
  return Buffer.from([...headers, '', body, ''].join('\r\n'));
}

const NO_AUTH = {
  spf: 'none',
  spfDomain: null,
  dkim: 'none',
  dkimDomains: [],
  aligned: false,
  dkimAligned: false,
  summary: 'No Authentication-Results from mx.parapet.example.',
};

const CUSTOMER_AUTHENTICATED = {
  spf: 'pass',
  spfDomain: 'customer.example',
  dkim: 'pass',
  dkimDomains: ['customer.example'],
  aligned: true,
  dkimAligned: true,
  summary:
    'mx.parapet.example: DKIM pass for customer.example (aligned); SPF pass for customer.example (aligned); DMARC pass',
};

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

test('every fixture is CRLF-terminated MIME and has a test below', () => {
  const names = readdirSync(FIXTURES).filter((n) => n.endsWith('.eml'));
  assert.equal(names.length, 20);
  for (const name of names) {
    const raw = fixture(name).toString('latin1');
    assert.doesNotMatch(raw, /[^\r]\n/, `${name} has a bare LF`);
  }
});

test('plain text: the whole message, one From, recipients, ids, and the trusted verdict', async () => {
  const parsed = await parse('plain.eml');
  assert.deepEqual(parsed, {
    messageId: 'CAF1plain.0001@mail.customer.example',
    from: { address: 'jane@customer.example', name: 'Jane Doe' },
    recipients: ['support@parapet.example'],
    subject: 'Printer on fire',
    inReplyTo: [],
    references: [],
    text: 'Hello,\n\nthe printer on the second floor is on fire again.\nCould somebody come and look at it?\n\nThanks,\nJane',
    reply:
      'Hello,\n\nthe printer on the second floor is on fire again.\nCould somebody come and look at it?\n\nThanks,\nJane',
    attachments: [],
    auth: CUSTOMER_AUTHENTICATED,
    automatic: null,
    bounce: null,
  });
});

test('HTML-only mail becomes text through html-to-text, without its script or style', async () => {
  const parsed = await parse('html-only.eml');
  assert.equal(
    parsed.text,
    'Hello support,\n\nmy invoice for November shows the wrong amount: 120\u00a0€ instead of 100\u00a0€.\n\n * Invoice 4711\n * Customer no. 0815\n\nRegards\nJane',
  );
  // email-reply-parser takes "Regards" and what follows for a signature.
  assert.equal(
    parsed.reply,
    'Hello support,\n\nmy invoice for November shows the wrong amount: 120\u00a0€ instead of 100\u00a0€.\n\n * Invoice 4711\n * Customer no. 0815',
  );
  assert.doesNotMatch(parsed.text, /LEAK|document\.write|color/);
});

test('multipart/alternative: the text part; To and Cc recipients lower-cased, each once', async () => {
  const parsed = await parse('alternative.eml');
  assert.equal(
    parsed.text,
    'Since this morning the VPN client says "authentication failed".\nI have not changed my password.',
  );
  assert.equal(parsed.reply, parsed.text);
  assert.deepEqual(parsed.from, { address: 'jane@customer.example', name: 'Doe, Jane' });
  assert.deepEqual(parsed.recipients, ['support@parapet.example', 'bob@customer.example']);
  assert.deepEqual(parsed.auth, NO_AUTH);
});

test('multipart/mixed: the PDF and PNG attachments and the inline image, bytes intact, accepted by the upload checks', async () => {
  const parsed = await parse('attachments.eml');
  assert.equal(parsed.text, 'The error looks like this:\n[image: error.png]\nThe invoice and a photo are attached.');
  assert.deepEqual(
    parsed.attachments.map((a) => ({
      fileName: a.fileName,
      contentType: a.contentType,
      inline: a.inline,
      size: a.data.length,
    })),
    [
      { fileName: 'error.png', contentType: 'image/png', inline: true, size: 72 },
      { fileName: 'invoice-4711.pdf', contentType: 'application/pdf', inline: false, size: 435 },
      { fileName: 'photo.png', contentType: 'image/png', inline: false, size: 69 },
    ],
  );
  const raw = fixture('attachments.eml').toString('latin1');
  const pdfBase64 =
    /filename="invoice-4711\.pdf"\r\nContent-Transfer-Encoding: base64\r\n\r\n([A-Za-z0-9+/=\r\n]+?)\r\n\r\n/.exec(
      raw,
    )?.[1];
  assert.ok(pdfBase64);
  assert.equal(sha256(parsed.attachments[1]?.data ?? Buffer.alloc(0)), sha256(Buffer.from(pdfBase64, 'base64')));
  const accepted = acceptUploads(parsed.attachments, { maxFiles: 10, maxBytes: 1024 * 1024 });
  assert.equal(accepted.error, undefined);
  assert.deepEqual(
    accepted.files.map((f) => [f.fileName, f.contentType]),
    [
      ['error.png', 'image/png'],
      ['invoice-4711.pdf', 'application/pdf'],
      ['photo.png', 'image/png'],
    ],
  );
});

test('a forwarded message (message/rfc822): its headers and text in the text, its attachment an attachment, no .eml', async () => {
  const parsed = await parse('forwarded.eml');
  const forwarded =
    'Please see the message below, the order never arrived.\n\n---------- Forwarded message ----------\n' +
    'From: "Shop" <orders@shop.example>\nDate: Mon, 30 Nov 2026 08:00:00 +0000\nSubject: Your order 5521\n' +
    'To: jane@customer.example\n\nYour order 5521 has been shipped.';
  assert.equal(parsed.text, forwarded);
  assert.equal(parsed.reply, forwarded, 'the forwarded message is what was sent to us, not quoted history');
  assert.deepEqual(
    parsed.attachments.map((a) => [a.fileName, a.contentType, a.inline]),
    [['receipt-5521.pdf', 'application/pdf', false]],
  );
  assert.equal(acceptUploads(parsed.attachments, { maxFiles: 10, maxBytes: 1024 * 1024 }).error, undefined);
  const inlineForward = await parseInbound(
    Buffer.from(
      fixture('forwarded.eml')
        .toString('latin1')
        .replace('Content-Disposition: attachment; filename="Your order 5521.eml"\r\n', ''),
      'latin1',
    ),
    IMAP,
    OPTIONS,
  );
  assert.equal(inlineForward.text, forwarded, 'the same without Content-Disposition: attachment');
  assert.deepEqual(
    inlineForward.attachments.map((a) => a.fileName),
    ['receipt-5521.pdf'],
  );
});

test('Gmail reply: the attribution wrapped over two lines, our marker and the signature are cut', async () => {
  const parsed = await parse('reply-gmail.eml');
  assert.equal(parsed.reply, 'Thanks, the fire is out now. The printer still smells funny though.');
  assert.match(parsed.text, new RegExp(`> ${REPLY_ABOVE_LINE}`), 'the full text keeps the history for staff');
  assert.deepEqual(parsed.recipients, ['support+123.5f2c9a0b1d3e@parapet.example', 'support@parapet.example']);
  assert.deepEqual(parsed.inReplyTo, ['notice.77@parapet.example']);
  assert.deepEqual(parsed.references, ['ticket.123.a1b2c3d4e5f6@parapet.example', 'notice.77@parapet.example']);
  assert.deepEqual(parsed.auth, CUSTOMER_AUTHENTICATED);
  assert.equal(parsed.automatic, null);
});

test('Outlook reply: the underscore separator and the From/Sent/To/Subject block are cut', async () => {
  const parsed = await parse('reply-outlook.eml');
  assert.equal(parsed.reply, 'It works again after the restart. You can close the ticket.\n\nBob');
  assert.equal(parsed.messageId, 'DB9PR01MB1234.eurprd01.prod.outlook.com');
  assert.deepEqual(parsed.inReplyTo, ['notice.78@parapet.example']);
});

test('Apple Mail reply: "Sent from my iPhone" and the quoted "On …, at …, X wrote:" are cut; no byte order mark', async () => {
  const parsed = await parse('reply-apple.eml');
  assert.equal(parsed.reply, 'Yes, Thursday at 10:00 suits me.');
  assert.doesNotMatch(parsed.text, /\uFEFF/);
  assert.equal(parsed.messageId, 'A1B2C3D4-E5F6-7890-ABCD-EF1234567890@customer.example');
});

test('ISO-8859-1 body and RFC 2047 subject and name, German "Am … schrieb …:" cut', async () => {
  const parsed = await parse('reply-german-latin1.eml');
  assert.deepEqual(parsed.from, { address: 'juergen@kunde.example', name: 'Jürgen Müller' });
  assert.equal(parsed.subject, 'AW: [#000125] Drucker druckt nur Streifen überall');
  assert.equal(parsed.reply, 'Vielen Dank, das Problem ist gelöst. Grüße aus Köln!');
  assert.match(parsed.text, /> Können Sie den Drucker neu starten\?$/);
});

test('Windows-1252 8bit body and base64 encoded subject, French "Le … a écrit :" cut', async () => {
  const parsed = await parse('reply-french-cp1252.eml');
  assert.deepEqual(parsed.from, { address: 'francoise@client.example', name: 'Françoise Lévêque' });
  assert.equal(parsed.subject, 'RE: [#000126] Réseau coupé – encore');
  assert.equal(parsed.reply, 'Merci, ça marche à nouveau – le problème venait du câble.');
});

test('ISO-2022-JP and KOI8-R bodies, subjects and names decode', async () => {
  const jp = await parse('japanese-iso2022jp.eml');
  assert.deepEqual(jp.from, { address: 'taro@kaisha.example', name: '山田太郎' });
  assert.equal(jp.subject, 'プリンターの故障');
  assert.equal(jp.text, 'お世話になっております。\nプリンターが動きません。\nよろしくお願いいたします。');
  const ru = await parse('russian-koi8r.eml');
  assert.deepEqual(ru.from, { address: 'ivan@klient.example', name: 'Иван Петров' });
  assert.equal(ru.subject, 'Почта не работает');
  assert.equal(ru.text, 'Здравствуйте!\nНе работает почта.');
});

test('an auto-reply (Auto-Submitted: auto-replied) and an Exchange out-of-office are automatic mail', async () => {
  const auto = await parse('auto-reply.eml');
  assert.deepEqual(auto.automatic, { kind: 'auto_reply', reason: 'Auto-Submitted: auto-replied' });
  assert.equal(auto.bounce, null);
  const oof = await parse('out-of-office.eml');
  assert.deepEqual(oof.automatic, { kind: 'auto_reply', reason: 'X-Auto-Response-Suppress: All' });
  const precedenceOnly = await parseInbound(
    Buffer.from(
      fixture('out-of-office.eml').toString('latin1').replace('X-Auto-Response-Suppress: All\r\n', ''),
      'latin1',
    ),
    IMAP,
    OPTIONS,
  );
  assert.deepEqual(precedenceOnly.automatic, { kind: 'list', reason: 'Precedence: bulk' });
});

test('a DSN bounce: only the permanent failure (5.x.x, Action: failed) counts; the report parts are no attachments', async () => {
  const parsed = await parse('bounce.eml');
  assert.deepEqual(parsed.automatic, {
    kind: 'bounce',
    reason: 'Content-Type: multipart/report; report-type=delivery-status',
  });
  assert.deepEqual(parsed.bounce, {
    recipients: ['gone@customer.example'],
    reason: '550 5.1.1 <gone@customer.example>: Recipient address rejected: User unknown',
  });
  assert.deepEqual(parsed.attachments, []);
  assert.match(parsed.text, /^This is the mail system at host mx\.parapet\.example\./);
});

test('a bounce without a permanent failure has no bounce report', async () => {
  const raw = fixture('bounce.eml')
    .toString('latin1')
    .replace('Action: failed\r\nStatus: 5.1.1', 'Action: delayed\r\nStatus: 4.1.1');
  const parsed = await parseInbound(Buffer.from(raw, 'latin1'), IMAP, OPTIONS);
  assert.equal(parsed.automatic?.kind, 'bounce');
  assert.equal(parsed.bounce, null);
});

test('a mailing-list message is list mail', async () => {
  const parsed = await parse('mailing-list.eml');
  assert.deepEqual(parsed.automatic, { kind: 'list', reason: 'List-Id: Vendor News <news.lists.vendor.example>' });
});

test('forged Authentication-Results below the receiving server’s own do not count', async () => {
  const parsed = await parse('forged-auth.eml');
  assert.deepEqual(parsed.auth, {
    spf: 'fail',
    spfDomain: 'bank.example',
    dkim: 'none',
    dkimDomains: [],
    aligned: false,
    dkimAligned: false,
    summary: 'mx.parapet.example: DKIM none; SPF fail for bank.example; DMARC fail',
  });
  // Without the id configured, nothing counts.
  const noTrustedId = await parse('forged-auth.eml', IMAP, { ownAddresses: OPTIONS.ownAddresses });
  assert.deepEqual(noTrustedId.auth, {
    spf: 'none',
    spfDomain: null,
    dkim: 'none',
    dkimDomains: [],
    aligned: false,
    dkimAligned: false,
    summary: 'No trusted authentication results (INBOUND_AUTHSERV_ID is not set).',
  });
});

test('Authentication-Results of another authserv-id, or written by the sender above nothing of ours, never count', async () => {
  const otherId = await parse('plain.eml', IMAP, { ...OPTIONS, trustedAuthservId: 'mx.other.example' });
  assert.deepEqual(otherId.auth, { ...NO_AUTH, summary: 'No Authentication-Results from mx.other.example.' });
  const mailgunIgnoresThem = await parse('plain.eml', { source: 'mailgun', envelope: {} }, OPTIONS);
  assert.equal(mailgunIgnoresThem.auth.aligned, false);
});

test('trusted results: DKIM of a subdomain aligns (relaxed), of another organisation does not; DMARC pass aligns', async () => {
  const headers = (ar: string): Buffer =>
    message([
      `Authentication-Results: MX.Parapet.Example; ${ar}`,
      'Received: from mail.customer.example by mx.parapet.example; Sat, 05 Dec 2026 10:00:04 +0000',
      'From: Jane <jane@customer.example>',
      'To: support@parapet.example',
      'Subject: x',
      'Message-ID: <x@customer.example>',
    ]);
  const sub = await parseInbound(headers('dkim=pass header.i=@mail.customer.example; spf=none'), IMAP, OPTIONS);
  assert.equal(sub.auth.aligned, true);
  assert.deepEqual(sub.auth.dkimDomains, ['mail.customer.example']);
  const other = await parseInbound(
    headers(
      'dkim=pass header.d=customer.example.evil.example; spf=pass smtp.mailfrom=x@evil.example; dmarc=fail header.from=customer.example',
    ),
    IMAP,
    OPTIONS,
  );
  assert.equal(other.auth.aligned, false);
  assert.equal(other.auth.dkim, 'pass');
  const dmarcOnly = await parseInbound(headers('dmarc=pass header.from=customer.example'), IMAP, OPTIONS);
  assert.equal(dmarcOnly.auth.aligned, true);
  const dmarcOtherDomain = await parseInbound(headers('dmarc=pass header.from=evil.example'), IMAP, OPTIONS);
  assert.equal(dmarcOtherDomain.auth.aligned, false);
  const commented = await parseInbound(
    headers('dkim=fail (signature was "dkim=pass header.d=customer.example") header.d=customer.example'),
    IMAP,
    OPTIONS,
  );
  assert.equal(commented.auth.dkim, 'fail');
  assert.equal(commented.auth.aligned, false);
});

test('Mailgun: SPF pass for an aligned envelope sender, DKIM pass with every signature aligned', async () => {
  const signed = await parse('mailgun-signed.eml', {
    source: 'mailgun',
    envelope: { sender: 'bounce@evil.example', recipient: 'support@parapet.example', spf: 'Pass', dkim: 'Pass' },
  });
  assert.deepEqual(signed.auth, {
    spf: 'pass',
    spfDomain: 'evil.example',
    dkim: 'pass',
    dkimDomains: ['mail.customer.example'],
    aligned: true,
    dkimAligned: true,
    summary: 'Mailgun: DKIM pass for mail.customer.example (aligned); SPF pass for evil.example (not aligned)',
  });
  const spfOnly = await parse('mailgun-signed.eml', {
    source: 'mailgun',
    envelope: { sender: 'jane@customer.example', spf: 'Pass', dkim: 'Fail' },
  });
  assert.equal(spfOnly.auth.aligned, true);
  assert.equal(spfOnly.auth.summary, 'Mailgun: DKIM fail; SPF pass for customer.example (aligned)');
  const softfail = await parse('mailgun-signed.eml', {
    source: 'mailgun',
    envelope: { sender: 'jane@customer.example', spf: 'SoftFail', dkim: 'Fail' },
  });
  assert.equal(softfail.auth.spf, 'softfail');
  assert.equal(softfail.auth.aligned, false);
  const unsigned = await parse('alternative.eml', {
    source: 'mailgun',
    envelope: { sender: 'x@evil.example', spf: 'Pass', dkim: 'Pass' },
  });
  assert.equal(unsigned.auth.aligned, false, 'a DKIM pass without any DKIM-Signature names no domain');
});

test('Mailgun: a valid signature of the attacker’s domain beside one claiming the victim’s does not align', async () => {
  const parsed = await parse('mailgun-two-signatures.eml', {
    source: 'mailgun',
    envelope: { sender: 'x@evil.example', recipient: 'support@parapet.example', spf: 'Pass', dkim: 'Pass' },
  });
  assert.deepEqual(parsed.auth, {
    spf: 'pass',
    spfDomain: 'evil.example',
    dkim: 'pass',
    dkimDomains: ['evil.example', 'customer.example'],
    aligned: false,
    dkimAligned: false,
    summary:
      'Mailgun: DKIM pass for evil.example, customer.example (not aligned); SPF pass for evil.example (not aligned)',
  });
  assert.deepEqual(parsed.recipients, ['support@parapet.example']);
});

test('XSS payloads in subject, From name, body and file name: kept as text (escaped where shown), scripts dropped', async () => {
  const parsed = await parse('xss.eml');
  assert.equal(parsed.subject, "<script>alert('subject')</script> <svg onload=alert('encoded-subject')>");
  assert.deepEqual(parsed.from, { address: 'eve@evil.example', name: "<img src=x onerror=alert('from-name')>" });
  assert.equal(parsed.text, "Hi [x]\n\n<script>alert('escaped')</script>\n\nclick [javascript:alert('link')]");
  assert.doesNotMatch(parsed.text, /body-script|onerror|onclick|p-click/);
  assert.deepEqual(
    parsed.attachments.map((a) => a.fileName),
    ["\"><svg onload=alert('file')>.png"],
  );
  const accepted = acceptUploads(parsed.attachments, { maxFiles: 10, maxBytes: 1024 * 1024 });
  assert.deepEqual(
    accepted.files.map((f) => f.fileName),
    ["svg onload=alert('file').png"],
  );
});

test('From: several mailboxes, a group, two From headers or no address give no sender', async () => {
  for (const from of [
    ['From: Jane <jane@customer.example>, Eve <eve@evil.example>'],
    ['From: Friends: jane@customer.example;'],
    ['From: Jane <jane@customer.example>', 'From: Eve <eve@evil.example>'],
    ['From: Jane'],
    ['From: <>'],
    [],
  ]) {
    const parsed = await parseInbound(message([...from, 'To: support@parapet.example', 'Subject: x']), IMAP, OPTIONS);
    assert.equal(parsed.from, null, from.join(' / '));
  }
  const idn = await parseInbound(message(['From: Jörg <joerg@bücher.example>', 'Subject: x']), IMAP, OPTIONS);
  assert.deepEqual(idn.from, { address: 'joerg@xn--bcher-kva.example', name: 'Jörg' });
});

test('recipients: the envelope first, then To, Cc, Delivered-To and X-Original-To, each once and lower-cased', async () => {
  const parsed = await parseInbound(
    message([
      'Delivered-To: Support+7.abc@parapet.example',
      'X-Original-To: helpdesk@parapet.example',
      'From: jane@customer.example',
      'To: "Support" <SUPPORT@parapet.example>, undisclosed-recipients:;',
      'Cc: bob@customer.example',
      'Subject: x',
    ]),
    { source: 'mailgun', envelope: { recipient: 'support+9.def@parapet.example' } },
    OPTIONS,
  );
  assert.deepEqual(parsed.recipients, [
    'support+9.def@parapet.example',
    'support@parapet.example',
    'bob@customer.example',
    'support+7.abc@parapet.example',
    'helpdesk@parapet.example',
  ]);
});

test('limits: text capped with a marker, subject at 300 characters, control characters and NUL stripped', async () => {
  const long = 'x'.repeat(150_000);
  const parsed = await parseInbound(
    message(
      [
        'From: jane@customer.example',
        `Subject: ${'S'.repeat(400)}\u0007\u202e`,
        'Content-Type: text/plain; charset=utf-8',
      ],
      `a\u0000b\u0001c\td\u001be\u202eRTL\r\n${long}`,
    ),
    IMAP,
    OPTIONS,
  );
  assert.equal(parsed.subject, 'S'.repeat(300));
  assert.ok(parsed.text.startsWith('abc\tdeRTL\nxxx'));
  assert.ok(parsed.text.endsWith('\n\n[… the rest of this message was cut: it was too long …]'));
  assert.equal(parsed.text.length, 100_000 + '\n\n[… the rest of this message was cut: it was too long …]'.length);
  assert.equal(parsed.reply, parsed.text, 'a long text without history is its own reply');
});

test('own messages: from our addresses or their +sub-addresses; noreply senders and Return-Path <> are automatic', async () => {
  const cases: [string[], unknown][] = [
    [['From: Parapet <SUPPORT@parapet.example>'], { kind: 'own_message', reason: 'From: support@parapet.example' }],
    [
      ['From: support+12.abcdef@parapet.example'],
      { kind: 'own_message', reason: 'From: support+12.abcdef@parapet.example' },
    ],
    [['From: parapet@parapet.example'], { kind: 'own_message', reason: 'From: parapet@parapet.example' }],
    [['From: postmaster@customer.example'], { kind: 'bounce', reason: 'From: postmaster@customer.example' }],
    [['From: no-reply@customer.example'], { kind: 'auto_reply', reason: 'From: no-reply@customer.example' }],
    [['From: donotreply@customer.example'], { kind: 'auto_reply', reason: 'From: donotreply@customer.example' }],
    [['Return-Path: <>', 'From: jane@customer.example'], { kind: 'auto_reply', reason: 'Return-Path: <>' }],
    [['From: jane@customer.example', 'Auto-Submitted: no'], null],
    [
      ['From: jane@customer.example', 'Auto-Submitted: auto-generated'],
      { kind: 'auto_reply', reason: 'Auto-Submitted: auto-generated' },
    ],
    [['From: jane@customer.example', 'X-Autoreply: yes'], { kind: 'auto_reply', reason: 'X-Autoreply: yes' }],
    [['From: jane@customer.example', 'X-Autorespond: 1'], { kind: 'auto_reply', reason: 'X-Autorespond: 1' }],
    [
      ['From: jane@customer.example', 'X-Auto-Response-Suppress: OOF'],
      { kind: 'auto_reply', reason: 'X-Auto-Response-Suppress: OOF' },
    ],
    [['From: jane@customer.example', 'X-Auto-Response-Suppress: DR, RN'], null],
    [
      ['From: jane@customer.example', 'Precedence: auto_reply'],
      { kind: 'auto_reply', reason: 'Precedence: auto_reply' },
    ],
    [['From: jane@customer.example', 'Precedence: junk'], { kind: 'list', reason: 'Precedence: junk' }],
    [
      ['From: jane@customer.example', 'List-Post: <mailto:l@x.example>'],
      { kind: 'list', reason: 'List-Post: <mailto:l@x.example>' },
    ],
    [['From: jane@supportparapet.example'], null],
    [['From: support@parapet.example.evil.example'], null],
  ];
  for (const [headers, expected] of cases) {
    const parsed = await parseInbound(message([...headers, 'Subject: x']), IMAP, OPTIONS);
    assert.deepEqual(parsed.automatic, expected, headers.join(' / '));
  }
});

test('an HTML part in multipart/mixed without a text part is converted too; huge HTML is not parsed', async () => {
  const parsed = await parseInbound(
    message(
      ['From: jane@customer.example', 'Subject: x', 'MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="b"'],
      '--b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>Only <b>HTML</b></p><style>x{}</style>\r\n--b--',
    ),
    IMAP,
    OPTIONS,
  );
  assert.equal(parsed.text, 'Only HTML');
});

test('Message-ID, In-Reply-To and References without brackets; a message without Message-ID has none', async () => {
  const parsed = await parseInbound(
    message(['From: jane@customer.example', 'In-Reply-To: <a@x> (comment)', 'References: <r1@x>\r\n <r2@x> <a@x>']),
    IMAP,
    OPTIONS,
  );
  assert.equal(parsed.messageId, null);
  assert.deepEqual(parsed.inReplyTo, ['a@x']);
  assert.deepEqual(parsed.references, ['r1@x', 'r2@x', 'a@x']);
});

test('forwarded messages inside forwarded messages are followed three deep, no further', async () => {
  let inner = ['From: Level 5 <l5@x.example>', 'Subject: level 5', '', 'text 5'].join('\r\n');
  for (let level = 4; level >= 0; level--) {
    inner = [
      `From: Level ${level} <l${level}@x.example>`,
      `Subject: level ${level}`,
      'MIME-Version: 1.0',
      `Content-Type: multipart/mixed; boundary="b${level}"`,
      '',
      `--b${level}`,
      'Content-Type: text/plain',
      '',
      `text ${level}`,
      `--b${level}`,
      'Content-Type: message/rfc822',
      '',
      inner,
      `--b${level}--`,
    ].join('\r\n');
  }
  const parsed = await parseInbound(Buffer.from(inner + '\r\n'), IMAP, OPTIONS);
  assert.deepEqual(
    parsed.text.split('\n').filter((line) => /^(text|Subject:) /.test(line)),
    ['text 0', 'Subject: level 1', 'text 1', 'Subject: level 2', 'text 2', 'Subject: level 3', 'text 3'],
  );
});

test('hostile headers cannot make parsing slow: long Authentication-Results, subject and delivery status', async () => {
  // mailparser refuses a header block over 1 MB (below); each of these stays under it.
  const big = 'a'.repeat(150 * 1024);
  const spaces = ' '.repeat(100 * 1024);
  const messages = [
    message([
      'Received: from x by y',
      `Authentication-Results: ${big}`,
      `Authentication-Results: mx.parapet.example; dkim${spaces}pass header.d${spaces}x`,
      `Authentication-Results: mx.parapet.example; ${big}=${big}`,
      `DKIM-Signature: d${spaces}`,
      'From: jane@customer.example',
      `Subject: ${'x '.repeat(100_000)}`,
    ]),
    message(
      [
        'From: MAILER-DAEMON@mx.parapet.example',
        'MIME-Version: 1.0',
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b"',
      ],
      `--b\r\nContent-Type: message/delivery-status\r\n\r\nAction: failed\r\n${'\r\n \r\n\t'.repeat(200_000)}Status: 5${'.5'.repeat(500_000)}\r\n--b--`,
    ),
  ];
  for (const raw of messages) {
    const started = process.hrtime.bigint();
    const parsed = await parseInbound(raw, IMAP, OPTIONS);
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    assert.ok(ms < 3000, `${ms} ms`);
    assert.equal(parsed.auth.aligned, false);
    assert.equal(parsed.bounce, null);
  }
});

test('a header block over mailparser’s 1 MB limit is an error, not a hang', async () => {
  await assert.rejects(
    parseInbound(message(['From: jane@customer.example', `X-Big: ${'a'.repeat(1100 * 1024)}`]), IMAP, OPTIONS),
    /Max header size/,
  );
});
