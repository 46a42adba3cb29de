import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ftsQuery, searchWords, tsQuery } from '../../src/features/tickets/ticket.repository.ts';

const words = (q: string) => searchWords(q).map((w) => `${w.text}${w.prefix ? '*' : ''}`);

describe('search words', () => {
  test('letters and digits only; a trailing * makes a prefix of three characters or more', () => {
    assert.deepEqual(words('Payment failed'), ['Payment', 'failed']);
    assert.deepEqual(words('pay* INV-2024-00017'), ['pay*', 'INV', '2024', '00017']);
    assert.deepEqual(words('pa* p*'), ['pa', 'p']);
    assert.deepEqual(words('Zürich naïve'), ['Zürich', 'naïve']);
    assert.deepEqual(words('ｐａｙ＊'), ['pay*'], 'NFKC: full-width characters are the usual ones');
  });

  test('query syntax of FTS5 and PostgreSQL only separates words', () => {
    assert.deepEqual(words('"a b" OR c NOT d'), ['a', 'b', 'OR', 'c', 'NOT', 'd']);
    assert.deepEqual(words('owner:c12 text : (x) NEAR(y z)'), ['owner', 'c12', 'text', 'x', 'NEAR', 'y', 'z']);
    assert.deepEqual(words("-w !v 'u' & t | s <-> r ^q {p}"), ['w', 'v', 'u', 't', 's', 'r', 'q', 'p']);
    assert.deepEqual(words('@c12 pay:* \\x*'), ['c12', 'pay', 'x']);
    assert.deepEqual(words('*** -- ()'), []);
  });

  test('at most 8 distinct words of at most 40 characters; a cut word is a prefix', () => {
    assert.deepEqual(words('a b c d e f g h i j'), ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']);
    assert.deepEqual(words('x X x* x'), ['x']);
    assert.deepEqual(words('pay pay* PAY'), ['pay', 'pay*']);
    assert.deepEqual(words('y'.repeat(50)), [`${'y'.repeat(40)}*`]);
  });

  test('FTS5 and tsquery forms quote every word', () => {
    const w = searchWords('invoice pay*');
    assert.equal(ftsQuery(w), 'text : ("invoice" "pay"*)');
    assert.equal(tsQuery(w), "'invoice' & 'pay':*");
  });
});
