import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ipLimitKey } from '../../src/lib/ip-key.ts';

test('IPv4 addresses count one by one', () => {
  assert.equal(ipLimitKey('192.0.2.1'), '192.0.2.1');
  assert.notEqual(ipLimitKey('192.0.2.1'), ipLimitKey('192.0.2.2'));
});

test('IPv6 addresses count by their /64, whatever the spelling', () => {
  const key = ipLimitKey('2001:db8:1:2:aaaa:bbbb:cccc:dddd');
  assert.equal(key, '2001:db8:1:2::/64');
  assert.equal(ipLimitKey('2001:0DB8:0001:0002::1'), key);
  assert.equal(ipLimitKey('2001:db8:1:2:ffff::'), key);
  assert.equal(ipLimitKey('2001:db8:1:2::1%eth0'), key, 'a zone index is ignored');
  assert.notEqual(ipLimitKey('2001:db8:1:3::1'), key, 'the next /64 is another client');
  assert.equal(ipLimitKey('::1'), '0:0:0:0::/64');
  assert.equal(ipLimitKey('2001:db8::'), '2001:db8:0:0::/64');
  assert.equal(ipLimitKey('64:ff9b::192.0.2.1'), '64:ff9b:0:0::/64', 'an embedded IPv4 tail is parsed');
});

test('IPv4-mapped IPv6 addresses count as the IPv4 address', () => {
  assert.equal(ipLimitKey('::ffff:192.0.2.1'), '192.0.2.1');
  assert.equal(ipLimitKey('::FFFF:c000:0201'), '192.0.2.1');
  assert.equal(ipLimitKey('0:0:0:0:0:ffff:192.0.2.1'), '192.0.2.1');
});

test('anything that is not an address is kept as it is', () => {
  assert.equal(ipLimitKey('unknown'), 'unknown');
  assert.equal(ipLimitKey(''), '');
});
