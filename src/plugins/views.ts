import fp from 'fastify-plugin';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { VNode } from 'preact';
import { h } from 'preact';
import { renderToString } from 'preact-render-to-string';
import { PageContextHolder, type Flash, type FlashKind, type PageContext } from '../views/context.ts';
import { cookieSettings } from '../lib/cookies.ts';
import { canonicalTimeZone, FALLBACK_TIME_ZONE } from '../lib/time.ts';

/** The browser's time zone, written by public/js/app.js: the fallback for visitors and accounts without one. */
export const TIME_ZONE_COOKIE = 'tz';

declare module 'fastify' {
  interface FastifyReply {
    /** Renders a full page; `view` receives the page context (user, CSRF token, flash, assets). */
    page(view: (ctx: PageContext) => VNode, statusCode?: number): FastifyReply;
    /** A message shown once on the next page rendered for this browser. */
    flash(kind: FlashKind, message: string): FastifyReply;
    /** A short notice shown on the page this reply renders (not carried to the next one, unlike `flash`). */
    notice(message: string): FastifyReply;
  }
}

const FLASH_KINDS = new Set<string>(['success', 'error', 'info']);

export default fp(
  (app: FastifyInstance) => {
    const { names, options } = cookieSettings(app.config);

    app.decorateReply('flash', function (this: FastifyReply, kind: FlashKind, message: string) {
      return this.setCookie(names.flash, JSON.stringify({ kind, message }), { ...options, signed: true, maxAge: 300 });
    });

    const notices = new WeakMap<FastifyReply, string>();
    app.decorateReply('notice', function (this: FastifyReply, message: string) {
      notices.set(this, message);
      return this;
    });

    function takeFlash(reply: FastifyReply): Flash | null {
      const raw = reply.request.cookies[names.flash];
      if (!raw) {
        return null;
      }
      reply.clearCookie(names.flash, options);
      const unsigned = reply.request.unsignCookie(raw);
      if (!unsigned.valid || unsigned.value === null) {
        return null;
      }
      try {
        const parsed = JSON.parse(unsigned.value) as Partial<Flash>;
        return typeof parsed.message === 'string' && FLASH_KINDS.has(String(parsed.kind)) ? (parsed as Flash) : null;
      } catch {
        return null;
      }
    }

    const logoUrl = app.brandAsset('brand-logo');
    const brandCssUrl = app.brandAsset('brand.css');

    app.decorateReply('page', function (this: FastifyReply, view: (ctx: PageContext) => VNode, statusCode = 200) {
      const request = this.request;
      const user = request.session?.stage === 'full' ? request.user : null;
      const browserZone = request.cookies[TIME_ZONE_COOKIE];
      const ctx: PageContext = {
        productName: app.config.brand.name,
        logoUrl,
        brandCssUrl,
        user,
        csrfToken: this.csrfToken(),
        // Error pages (a stray 404 for a favicon, say) leave the message for the page the person is waiting for.
        flash: statusCode < 400 ? takeFlash(this) : null,
        notice: notices.get(this) ?? null,
        currentPath: request.url.split('?')[0] ?? '/',
        timeZone:
          user?.time_zone ??
          (browserZone && browserZone.length <= 64 ? canonicalTimeZone(browserZone) : null) ??
          FALLBACK_TIME_ZONE,
        now: app.clock.now(),
        asset: (name) => app.asset(name),
      };
      const html = `<!doctype html>${renderToString(h(PageContextHolder.Provider, { value: ctx }, view(ctx)))}`;
      return this.code(statusCode).type('text/html; charset=utf-8').send(html);
    });
  },
  { name: 'views', dependencies: ['assets', 'csrf', 'sessions'] },
);
