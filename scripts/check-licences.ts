// Fails when a package of the production dependency tree (what `npm ci --omit=dev` installs and the app ships with)
// has a licence outside the allow-list of permissive licences, or none. Part of `npm test`, so CI runs it.
// The tree comes from `npm ls --omit=dev --all --parseable` (installed paths); each package's own package.json
// gives its licence (`license`, an SPDX expression, or the legacy `licenses` array).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

/** Permissive licences: no copyleft, no network clause. An SPDX expression passes when it is satisfiable from these. */
export const ALLOWED = new Set([
  'MIT',
  'MIT-0',
  'ISC',
  'BSD-2-Clause',
  'BSD-3-Clause',
  'Apache-2.0',
  '0BSD',
  'BlueOak-1.0.0',
  'CC0-1.0',
  'CC-BY-3.0',
  'CC-BY-4.0',
  'Unlicense',
  'Python-2.0',
  'Zlib',
  'WTFPL',
]);

/** True when the SPDX expression can be satisfied with allowed licences: `A OR B` needs one side, `A AND B` both. */
export function isAllowed(expression: string): boolean {
  const tokens = expression
    .replace(/[()]/g, (p) => ` ${p} `)
    .trim()
    .split(/\s+/)
    .filter(Boolean);
  let i = 0;
  // or := and ('OR' and)* ; and := atom ('AND' atom)* ; atom := '(' or ')' | id ['WITH' exception]
  const parseOr = (): boolean => {
    let ok = parseAnd();
    while (tokens[i]?.toUpperCase() === 'OR') {
      i += 1;
      ok = parseAnd() || ok;
    }
    return ok;
  };
  const parseAnd = (): boolean => {
    let ok = parseAtom();
    while (tokens[i]?.toUpperCase() === 'AND') {
      i += 1;
      ok = parseAtom() && ok;
    }
    return ok;
  };
  const parseAtom = (): boolean => {
    const token = tokens[i++];
    if (token === '(') {
      const ok = parseOr();
      if (tokens[i++] !== ')') {
        throw new Error(`unbalanced parentheses in "${expression}"`);
      }
      return ok;
    }
    if (token === undefined || token === ')') {
      throw new Error(`malformed licence expression "${expression}"`);
    }
    if (tokens[i]?.toUpperCase() === 'WITH') {
      i += 2; // An exception (e.g. LLVM-exception) only grants more.
    }
    return ALLOWED.has(token.replace(/\+$/, ''));
  };
  try {
    const ok = parseOr();
    return ok && i === tokens.length;
  } catch {
    return false;
  }
}

/** The licence a package.json declares, as one SPDX expression, or null. */
export function declaredLicence(pkg: { license?: unknown; licenses?: unknown }): string | null {
  if (typeof pkg.license === 'string' && pkg.license.trim()) {
    return pkg.license.trim();
  }
  if (pkg.license && typeof pkg.license === 'object' && typeof (pkg.license as { type?: unknown }).type === 'string') {
    return (pkg.license as { type: string }).type;
  }
  if (Array.isArray(pkg.licenses) && pkg.licenses.length > 0) {
    const types = pkg.licenses
      .map((l: unknown) => (typeof l === 'string' ? l : (l as { type?: string })?.type))
      .filter((t): t is string => Boolean(t));
    return types.length > 0 ? types.join(' OR ') : null;
  }
  return null;
}

export interface LicenceFinding {
  name: string;
  version: string;
  licence: string | null;
  allowed: boolean;
}

export function productionTree(root: string): LicenceFinding[] {
  let out: string;
  try {
    out = execFileSync('npm', ['ls', '--omit=dev', '--all', '--parseable'], {
      cwd: root,
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (error) {
    // npm ls exits non-zero on problems such as an extraneous package; its output is still the tree.
    const stdout = (error as { stdout?: string | Buffer }).stdout;
    out = stdout ? stdout.toString() : '';
    if (!out) {
      throw error;
    }
  }
  const seen = new Map<string, LicenceFinding>();
  for (const dir of out
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)) {
    if (path.resolve(dir) === path.resolve(root)) {
      continue;
    }
    const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as {
      name: string;
      version: string;
      license?: unknown;
      licenses?: unknown;
    };
    const licence = declaredLicence(pkg);
    seen.set(`${pkg.name}@${pkg.version}`, {
      name: pkg.name,
      version: pkg.version,
      licence,
      allowed: licence !== null && isAllowed(licence),
    });
  }
  return [...seen.values()].sort((a, b) => a.name.localeCompare(b.name));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const root = path.resolve(import.meta.dirname, '..');
  const tree = productionTree(root);
  const refused = tree.filter((p) => !p.allowed);
  const counts = new Map<string, number>();
  for (const p of tree) {
    counts.set(p.licence ?? '(none)', (counts.get(p.licence ?? '(none)') ?? 0) + 1);
  }
  console.log(
    `licences of ${tree.length} production packages: ${[...counts]
      .sort((a, b) => b[1] - a[1])
      .map(([l, n]) => `${l} ${n}`)
      .join(', ')}`,
  );
  if (refused.length > 0) {
    console.error(
      `Licences outside the allow-list (scripts/check-licences.ts):\n${refused.map((p) => `  ${p.name}@${p.version}: ${p.licence ?? 'no licence declared'}`).join('\n')}`,
    );
    process.exit(1);
  }
  console.log('every production dependency has an allowed licence');
}
