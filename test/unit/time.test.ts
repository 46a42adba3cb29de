import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { canonicalTimeZone, formatDuration, formatExact, formatRelative } from '../../src/lib/time.ts';

const NOW = Date.parse('2026-12-05T15:30:00Z');
const H = 3_600_000;

describe('times in the viewer’s zone', () => {
  test('relative text as of the render: minutes, hours, yesterday, days, then the date', () => {
    const rel = (ago: number, zone = 'Europe/Paris') => formatRelative(NOW - ago, NOW, zone);
    assert.equal(rel(20_000), 'just now');
    assert.equal(rel(5 * 60_000), '5 minutes ago');
    assert.equal(rel(3 * H), '3 hours ago');
    assert.equal(rel(30 * H), 'yesterday');
    assert.equal(rel(3 * 24 * H), '3 days ago');
    assert.equal(rel(56 * H), '2 days ago'); // 3 Dec, 08:30 in Paris
    assert.equal(rel(10 * 24 * H), '25 Nov');
    assert.equal(rel(400 * 24 * H), '31 Oct 2025');
    assert.equal(formatRelative(NOW + 5 * 60_000, NOW, 'UTC'), 'in 5 minutes');
  });

  test('"yesterday" is counted in the viewer’s zone, not in UTC', () => {
    // 01:30 UTC on 5 Dec, seen at 15:30 UTC: the same day in UTC; 17:30 on 4 Dec in Los Angeles, where it is 07:30 on 5 Dec.
    const at = NOW - 14 * H;
    assert.equal(formatRelative(at, NOW, 'UTC'), '14 hours ago');
    assert.equal(formatRelative(at, NOW, 'America/Los_Angeles'), 'yesterday');
  });

  test('the exact time names the zone it is in', () => {
    assert.equal(formatExact(NOW, 'UTC'), 'Sat, 5 Dec 2026, 15:30 UTC');
    assert.equal(formatExact(NOW, 'Europe/Paris'), 'Sat, 5 Dec 2026, 16:30 CET');
    assert.match(formatExact(NOW, 'Asia/Kolkata'), /Sat, 5 Dec 2026, 21:00 (IST|GMT\+5:30)/);
  });

  test('time zone names: IANA names and their aliases pass, anything else is refused', () => {
    assert.equal(canonicalTimeZone('Europe/Paris'), 'Europe/Paris');
    assert.ok(canonicalTimeZone('Asia/Calcutta'));
    assert.equal(canonicalTimeZone('Mars/Olympus_Mons'), null);
    assert.equal(canonicalTimeZone('Europe/Paris; drop table users'), null);
    assert.equal(canonicalTimeZone('x'.repeat(65)), null);
  });

  test('durations for "Waiting for …"', () => {
    assert.equal(formatDuration(30_000), '1 minute');
    assert.equal(formatDuration(3 * H + 59 * 60_000), '3 hours');
    assert.equal(formatDuration(72 * H), '3 days');
  });
});
