/**
 * A certificate authority and one server certificate for the secure stack,
 * made locally with openssl (no download). Private keys are mode 0600 in a
 * 0700 folder. The server certificate (SAN 127.0.0.1, localhost) serves Kafka
 * and Redis, and is also the broker's client certificate on the KRaft
 * controller listener (mutual TLS there, since SCRAM cannot authenticate a
 * controller): hence serverAuth + clientAuth, and the principal
 * `User:CN=warden-stack` among Kafka's super users.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { StackError } from '../../shared/errors/index.js';
import type { Progress } from './maven.js';
import { requireTool } from './process.js';

export const STACK_CERT_SUBJECT = 'CN=warden-stack';

export interface TlsFiles {
  dir: string;
  caCert: string;
  caKey: string;
  serverCert: string;
  serverKey: string;
  /** PKCS#12 keystore for Kafka (key + chain), protected by the keystore password. */
  keystore: string;
}

export function tlsFiles(dir: string): TlsFiles {
  return { dir, caCert: join(dir, 'ca.pem'), caKey: join(dir, 'ca.key'), serverCert: join(dir, 'server.pem'), serverKey: join(dir, 'server.key'), keystore: join(dir, 'server.p12') };
}

function openssl(args: string[], what: string, env: Record<string, string> = {}): void {
  const r = spawnSync('openssl', args, { encoding: 'utf8', env: { ...process.env, ...env } });
  if (r.status !== 0) throw new StackError('stack.missing-tool', `openssl could not ${what}: ${(r.stderr || r.stdout).trim().slice(-400)}`);
}

/** Creates what is missing (the CA, the server certificate, the keystore); keeps what exists. */
export function ensureTls(dir: string, keystorePassword: string, progress: Progress): TlsFiles {
  requireTool('openssl', 'install OpenSSL (apt-get install openssl)');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const f = tlsFiles(dir);
  const days = '825';
  if (!existsSync(f.caCert) || !existsSync(f.caKey)) {
    openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-days', days, '-keyout', f.caKey, '-out', f.caCert, '-subj', '/CN=Agent Warden local CA',
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], 'create the CA');
    chmodSync(f.caKey, 0o600);
    rmSync(f.serverCert, { force: true }); // a new CA invalidates the old server certificate
    progress(`tls: created a local CA in ${dir}`);
  }
  if (!existsSync(f.serverCert) || !existsSync(f.serverKey)) {
    const csr = join(dir, 'server.csr');
    const ext = join(dir, 'server.ext');
    writeFileSync(ext, ['basicConstraints=CA:FALSE', 'keyUsage=critical,digitalSignature,keyEncipherment', 'extendedKeyUsage=serverAuth,clientAuth', 'subjectAltName=IP:127.0.0.1,DNS:localhost', ''].join('\n'));
    try {
      openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-keyout', f.serverKey, '-out', csr, '-subj', `/${STACK_CERT_SUBJECT}`], 'create the server key');
      chmodSync(f.serverKey, 0o600);
      openssl(['x509', '-req', '-in', csr, '-CA', f.caCert, '-CAkey', f.caKey, '-set_serial', `0x${randomBytes(12).toString('hex')}`, '-days', days, '-sha256', '-extfile', ext, '-out', f.serverCert], 'sign the server certificate');
    } finally {
      rmSync(csr, { force: true });
      rmSync(ext, { force: true });
    }
    rmSync(f.keystore, { force: true });
    progress('tls: issued the server certificate (127.0.0.1, localhost)');
  }
  if (!existsSync(f.keystore)) {
    // The password goes to openssl through its environment, never its command line.
    openssl(['pkcs12', '-export', '-in', f.serverCert, '-inkey', f.serverKey, '-certfile', f.caCert, '-name', 'warden-stack', '-out', f.keystore, '-passout', 'env:WARDEN_KEYSTORE_PASSWORD'],
      'write the Kafka keystore', { WARDEN_KEYSTORE_PASSWORD: keystorePassword });
    chmodSync(f.keystore, 0o600);
  }
  return f;
}
