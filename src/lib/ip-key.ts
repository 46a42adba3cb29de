import { isIPv4, isIPv6 } from 'node:net';

/**
 * The key every per-IP limit counts under. An IPv6 client usually holds a whole /64 (one address per
 * device or per connection, chosen at will), so IPv6 counts by its /64 network; an IPv4-mapped IPv6
 * address (`::ffff:192.0.2.1`) counts as the IPv4 address it is. Anything else is returned unchanged.
 */
export function ipLimitKey(ip: string): string {
  const address = ip.trim().toLowerCase();
  if (isIPv4(address)) {
    return address;
  }
  const bare = address.replace(/%.*$/, '');
  if (!isIPv6(bare)) {
    return address;
  }
  const groups = ipv6Groups(bare);
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    const [high = 0, low = 0] = groups.slice(6);
    return `${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}`;
  }
  return `${groups
    .slice(0, 4)
    .map((g) => g.toString(16))
    .join(':')}::/64`;
}

/** The eight 16-bit groups of a valid IPv6 address (without zone), expanding `::` and a dotted IPv4 tail. */
function ipv6Groups(address: string): number[] {
  let text = address;
  const tail = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (tail) {
    const [a, b, c, d] = tail.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, tail.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', rest] = text.split('::');
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((g) => parseInt(g, 16)));
  const left = parse(head);
  const right = rest === undefined ? [] : parse(rest);
  return [...left, ...Array<number>(8 - left.length - right.length).fill(0), ...right];
}
