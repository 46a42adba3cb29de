// Starts the scan target (lib/target.ts: production mode, TLS, fresh SQLite, seeded ticket) and keeps it up,
// printing its URL and two signed-in sessions, for running one scanner by hand while working on the scan:
//   npx tsx scripts/security-scan/serve.ts        (Ctrl-C stops it and deletes the temporary database)
// The per-email sign-in pause is off, as during the scan's sqlmap run of the login form.
import { startTarget } from './lib/target.ts';

const target = await startTarget();
target.bypassLoginPause = true;
const admin = await target.signedIn('administrator', 'ada.admin');
console.log(
  JSON.stringify(
    {
      baseUrl: target.baseUrl,
      ticket: `/tickets/${target.ticketId}`,
      attachment: `/tickets/${target.ticketId}/attachments/${target.attachmentId}`,
      clientCookie: target.owner.http.cookieHeader(),
      adminCookie: admin.http.cookieHeader(),
      appLog: target.appLog,
    },
    null,
    2,
  ),
);
const stop = () => {
  target.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
