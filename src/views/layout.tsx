import type { ComponentChildren } from 'preact';
import type { Role } from '../db/database.ts';
import { RoleBadge } from './components/badge.tsx';
import { ActionButton, Alert } from './components/forms.tsx';
import type { PageContext } from './context.ts';

interface NavItem {
  href: string;
  label: string;
  roles: readonly Role[];
}

/** Navigation shows only what the role may use; features add their entries here. */
const NAV: NavItem[] = [
  { href: '/', label: 'Home', roles: ['client', 'agent', 'administrator'] },
  { href: '/tickets', label: 'Tickets', roles: ['client', 'agent', 'administrator'] },
  { href: '/admin/users', label: 'Users', roles: ['administrator'] },
  { href: '/admin/failed-logins', label: 'Failed sign-ins', roles: ['administrator'] },
  { href: '/admin/audit', label: 'Audit log', roles: ['administrator'] },
  { href: '/admin/mail', label: 'Mail', roles: ['agent', 'administrator'] },
  { href: '/account', label: 'Account', roles: ['client', 'agent', 'administrator'] },
];

/** A nav entry is current on its own page and below it (a form posted to /account/password re-renders the account page). */
function isCurrent(href: string, path: string): boolean {
  return path === href || (href !== '/' && path.startsWith(`${href}/`));
}

export function Layout({
  ctx,
  title,
  children,
  narrow,
}: {
  ctx: PageContext;
  title: string;
  children: ComponentChildren;
  narrow?: boolean;
}) {
  const user = ctx.user;
  const nav = user ? NAV.filter((item) => item.roles.includes(user.role)) : [];
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="color-scheme" content="light dark" />
        <title>{`${title} · ${ctx.productName}`}</title>
        <link rel="icon" href={ctx.asset('img/favicon.svg')} type="image/svg+xml" />
        <link rel="stylesheet" href={ctx.asset('css/app.css')} />
        {ctx.brandCssUrl && <link rel="stylesheet" href={ctx.brandCssUrl} />}
        <script src={ctx.asset('js/app.js')} defer></script>
      </head>
      <body>
        <a class="skip-link" href="#main">
          Skip to content
        </a>
        <header class={user ? 'site-header site-header--signed-in' : 'site-header'}>
          <div class="site-header__inner">
            <a class="brand" href="/">
              {ctx.logoUrl ? (
                <img class="brand__logo" src={ctx.logoUrl} alt="" height="28" />
              ) : (
                <img src={ctx.asset('img/logo.svg')} alt="" width="28" height="28" />
              )}
              <span>{ctx.productName}</span>
            </a>
            {user && (
              <nav aria-label="Main" class="site-nav">
                <ul>
                  {nav.map((item) => (
                    <li key={item.href}>
                      <a href={item.href} aria-current={isCurrent(item.href, ctx.currentPath) ? 'page' : undefined}>
                        {item.label}
                      </a>
                    </li>
                  ))}
                </ul>
              </nav>
            )}
            {user && (
              <div class="site-user">
                <span class="site-user__who">
                  <span class="site-user__email" title={user.email}>
                    {user.email}
                  </span>
                  <RoleBadge role={user.role} />
                </span>
                <ActionButton action="/logout" token={ctx.csrfToken} label="Sign out" class="button button--ghost" />
              </div>
            )}
          </div>
        </header>
        <main id="main" class={narrow ? 'main main--narrow' : 'main'} tabindex={-1}>
          {ctx.flash && <Alert kind={ctx.flash.kind}>{ctx.flash.message}</Alert>}
          {ctx.notice && <Alert kind="info">{ctx.notice}</Alert>}
          {children}
        </main>
        {user && !user.time_zone && (
          // The account has no time zone yet: app.js sends the browser's once, by fetch (no inline script).
          <form method="post" action="/account/time-zone" hidden data-report-time-zone>
            <input type="hidden" name="_csrf" value={ctx.csrfToken} />
            <input type="hidden" name="time_zone" value="" />
            <input type="hidden" name="detected" value="1" />
          </form>
        )}
        <footer class="site-footer">
          <p>
            {ctx.productName} · <span class="site-footer__powered">Powered by Parapet</span>
          </p>
        </footer>
      </body>
    </html>
  );
}
