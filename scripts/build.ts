// Compiles src/ to JavaScript in dist/ for `npm start` (and the benchmark): Node then loads plain JavaScript,
// without tsx's loader thread and its own V8 heap (about 35 MB) or transpiling at every start.
// One output file per source file, same folders (dist/plugins/assets.js next to dist/features/...), so paths
// computed from import.meta.dirname (PUBLIC_DIR) point where they do under src/. Packages stay imports.
//   node --import tsx scripts/build.ts        (npm run build; `npm start` runs it first)
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { build as esbuild, type Plugin } from 'esbuild';

const ROOT = path.resolve(import.meta.dirname, '..');
export const DIST = path.join(ROOT, 'dist');

/** Relative imports name the .ts/.tsx source; the output is next to them as .js. */
const rewriteRelativeImports: Plugin = {
  name: 'rewrite-relative-imports',
  setup(build) {
    build.onResolve({ filter: /^\.\.?\// }, (args) =>
      args.kind === 'entry-point' ? undefined : { path: args.path.replace(/\.tsx?$/, '.js'), external: true },
    );
  },
};

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.tsx?$/.test(e.name) && !e.name.endsWith('.d.ts'))
    .map((e) => path.join(e.parentPath, e.name));
}

/** Builds dist/; only files whose content changed are written (each atomically), so a running or starting app is safe. */
export async function build(): Promise<void> {
  const result = await esbuild({
    entryPoints: sources(path.join(ROOT, 'src')),
    outbase: path.join(ROOT, 'src'),
    outdir: DIST,
    bundle: true,
    packages: 'external',
    plugins: [rewriteRelativeImports],
    platform: 'node',
    format: 'esm',
    target: 'node20',
    tsconfig: path.join(ROOT, 'tsconfig.json'),
    sourcemap: true,
    logLevel: 'warning',
    write: false,
  });
  for (const file of result.outputFiles) {
    let same = false;
    try {
      same = readFileSync(file.path).equals(file.contents);
    } catch {
      // not built yet
    }
    if (!same) {
      mkdirSync(path.dirname(file.path), { recursive: true });
      const tmp = `${file.path}.${process.pid}.tmp`;
      writeFileSync(tmp, file.contents);
      renameSync(tmp, file.path);
    }
  }
}

if (import.meta.filename === process.argv[1]) {
  const started = performance.now();
  await build();
  console.log(`Built ${path.relative(process.cwd(), DIST) || '.'}/ in ${Math.round(performance.now() - started)} ms`);
}
