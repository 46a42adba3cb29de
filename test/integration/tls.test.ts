import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import tls from 'node:tls';
import type { AddressInfo } from 'node:net';
import { buildTestApp } from '../helpers/build-app.ts';
import { makeCertificate } from '../support/certificate.ts';

const hasOpenssl = spawnSync('openssl', ['version']).status === 0;

function handshake(port: number, opts: tls.ConnectionOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ...opts }, () => {
      const protocol = socket.getProtocol() ?? '';
      socket.end();
      resolve(protocol);
    });
    socket.on('error', reject);
  });
}

describe('TLS served directly', { skip: !hasOpenssl && 'openssl is not installed' }, () => {
  test('with TLS_CERT_FILE/TLS_KEY_FILE the app speaks TLS 1.2 and 1.3 only', async (t) => {
    const { certFile: cert, keyFile: key } = makeCertificate(mkdtempSync(path.join(tmpdir(), 'parapet-tls-')), {
      key: 'ec',
    });
    const { app } = await buildTestApp(t, 'sqlite', {
      TLS_CERT_FILE: cert,
      TLS_KEY_FILE: key,
      NODE_ENV: 'production',
      MAIL_TRANSPORT: 'disabled',
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = app.server.address() as AddressInfo;
    assert.equal(await handshake(port, {}), 'TLSv1.3');
    assert.equal(await handshake(port, { maxVersion: 'TLSv1.2' }), 'TLSv1.2');
    await assert.rejects(handshake(port, { minVersion: 'TLSv1', maxVersion: 'TLSv1.1' }));

    // Requests that arrive over TLS are HTTPS: no redirect, and HSTS is sent.
    const res = await new Promise<{ status: number; hsts: string | undefined }>((resolve, reject) => {
      const socket = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
        socket.write('GET /login HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n');
      });
      let data = '';
      socket.on('data', (d: Buffer) => (data += d.toString()));
      socket.on('end', () =>
        resolve({ status: Number(data.slice(9, 12)), hsts: /strict-transport-security: ([^\r]+)/i.exec(data)?.[1] }),
      );
      socket.on('error', reject);
    });
    assert.equal(res.status, 200);
    assert.equal(res.hsts, 'max-age=31536000; includeSubDomains');
  });
});
