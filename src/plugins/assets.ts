import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import { brandStylesheet, logoUrlPath } from '../lib/brand.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** The content-hashed URL of a file under public/, e.g. asset('css/app.css') → /assets/css/app.3f2a9c1d0b.css */
    asset(name: string): string;
    /** The generated brand files: 'brand.css' (PORTAL_ACCENT) and 'brand-logo' (PORTAL_LOGO), or null when not set. */
    brandAsset(name: 'brand.css' | 'brand-logo'): string | null;
  }
}

const TYPES: Record<string, string> = {
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

export const PUBLIC_DIR = path.resolve(import.meta.dirname, '../../public');

interface Asset {
  body: Buffer;
  type: string;
  etag: string;
  /** A policy of its own: an SVG logo opened by itself runs no script and loads nothing (in an <img> it never could). */
  csp?: string;
}

/** The SVG logo's policy when opened directly: no script, no fetch, sandboxed; its own inline styles may apply. */
export const SVG_LOGO_CSP = "default-src 'none'; style-src 'unsafe-inline'; sandbox";

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)).split(path.sep).join('/'));
}

/**
 * Self-hosted static files, read once at start and served from memory under content-hashed names,
 * so they can be cached for a year and a deploy never serves a stale stylesheet.
 */
export default fp(
  (app: FastifyInstance) => {
    const byUrl = new Map<string, Asset>();
    const urlByName = new Map<string, string>();
    for (const name of listFiles(PUBLIC_DIR)) {
      const ext = path.extname(name);
      const type = TYPES[ext];
      if (!type) {
        continue;
      }
      const body = readFileSync(path.join(PUBLIC_DIR, name));
      const digest = createHash('sha256').update(body).digest('hex').slice(0, 12);
      const url = `/assets/${name.slice(0, -ext.length)}.${digest}${ext}`;
      byUrl.set(url, { body, type, etag: `"${digest}"` });
      urlByName.set(name, url);
    }

    // The brand (src/lib/brand.ts): PORTAL_ACCENT as a stylesheet after app.css (the CSP allows no inline style),
    // and PORTAL_LOGO, both from memory like the files above.
    const { brand } = app.config;
    if (brand.accent) {
      const body = Buffer.from(brandStylesheet(brand.accent));
      const digest = createHash('sha256').update(body).digest('hex').slice(0, 12);
      const url = `/assets/brand.${digest}.css`;
      byUrl.set(url, { body, type: TYPES['.css']!, etag: `"${digest}"` });
      urlByName.set('brand.css', url);
    }
    if (brand.logo) {
      const url = logoUrlPath(brand.logo);
      const svg = brand.logo.type === 'image/svg+xml';
      byUrl.set(url, {
        body: brand.logo.body,
        type: brand.logo.type,
        etag: `"${url.split('.').at(-2) ?? ''}"`,
        ...(svg ? { csp: SVG_LOGO_CSP } : {}),
      });
      urlByName.set('brand-logo', url);
    }

    app.decorate('asset', (name: string) => {
      const url = urlByName.get(name);
      if (!url) {
        throw new Error(`Unknown asset ${name}`);
      }
      return url;
    });

    app.decorate('brandAsset', (name: 'brand.css' | 'brand-logo') => urlByName.get(name) ?? null);

    app.get('/assets/*', { config: { access: 'public' } }, async (request, reply) => {
      const asset = byUrl.get(request.url.split('?')[0] ?? '');
      if (!asset) {
        return reply.callNotFound();
      }
      reply.header('cache-control', 'public, max-age=31536000, immutable').header('etag', asset.etag).type(asset.type);
      if (asset.csp) {
        reply.header('content-security-policy', asset.csp);
      }
      if (request.headers['if-none-match'] === asset.etag) {
        return reply.code(304).send();
      }
      return reply.send(asset.body);
    });

    app.get('/favicon.ico', { config: { access: 'public' } }, async (_request, reply) =>
      reply.redirect(app.asset('img/favicon.svg'), 301),
    );
  },
  { name: 'assets' },
);
