// The demo accounts. User number k always has the same name and address, so reruns find the same people
// and `--reset` can tell demo accounts from real ones by recomputing the address from the number in it.
import type { Role } from '../../src/db/database.ts';
import { Rng, hashSeed } from './random.ts';
import { capName } from './text.ts';
import { FIRST_NAMES, LAST_NAMES } from './vocabulary.ts';

export const DEMO_DOMAIN = 'example.com';
export const ADMIN_COUNT = 2;
export const AGENT_COUNT = 10;

export interface DemoIdentity {
  k: number;
  first: string;
  email: string;
  name: string;
  role: Role;
}

export function demoIdentity(k: number): DemoIdentity {
  const rng = new Rng(hashSeed('parapet-demo-user', k));
  const first = rng.pick(FIRST_NAMES);
  const last = rng.pick(LAST_NAMES);
  const role: Role = k < ADMIN_COUNT ? 'administrator' : k < ADMIN_COUNT + AGENT_COUNT ? 'agent' : 'client';
  return {
    k,
    first,
    email: `${first}.${last}${k + 1}@${DEMO_DOMAIN}`,
    name: `${capName(first)} ${capName(last)}`,
    role,
  };
}

/** True only for addresses this script makes: `first.last<k+1>@example.com` where user k really has that name. */
export function isDemoEmail(email: string): boolean {
  const match = /^[a-z]+\.[a-z]+(\d{1,9})@example\.com$/.exec(email);
  if (!match) {
    return false;
  }
  const k = Number(match[1]) - 1;
  return k >= 0 && demoIdentity(k).email === email;
}

export function demoIdentities(clients: number): DemoIdentity[] {
  return Array.from({ length: ADMIN_COUNT + AGENT_COUNT + clients }, (_, k) => demoIdentity(k));
}
