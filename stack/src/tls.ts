import { execFile } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from './config.ts';
import { StackError } from './errors.ts';

/*
 * HTTPS in nginx (docs/security.md, "Transport"): the same server, its locations and headers, on a
 * second port with TLS 1.2/1.3. HSTS comes from the template's `$rs_hsts` map, sent on HTTPS
 * answers only. A deployment names its certificate; the stack makes a self-signed one when asked.
 */

const execFileAsync = promisify(execFile);

export interface TlsFiles {
  /** PEM certificate (chain), as nginx's ssl_certificate reads it. */
  certificateFile: string;
  /** PEM private key, mode 600. */
  keyFile: string;
}

export interface TlsListen extends TlsFiles {
  listenAddress: string;
  port: number;
}

/** Paths nginx may read without quoting: no white space, quotes, braces or semicolons. */
const PLAIN_PATH = /^\/[^\s"'{};$\\]+$/;

/** The directives the template's TLS placeholder becomes: nothing without TLS. */
export function tlsServerDirectives(tls: TlsListen | undefined): string {
  if (!tls) return '';
  for (const file of [tls.certificateFile, tls.keyFile]) {
    if (!PLAIN_PATH.test(file)) throw new StackError(`TLS file ${JSON.stringify(file)}: expected an absolute path without spaces, quotes, braces, ";" or "$"`);
  }
  return [
    `        listen ${tls.listenAddress}:${tls.port} ssl;`,
    `        ssl_certificate ${tls.certificateFile};`,
    `        ssl_certificate_key ${tls.keyFile};`,
    '        ssl_protocols TLSv1.2 TLSv1.3;',
    '        ssl_prefer_server_ciphers off;',
    '        ssl_session_tickets off;',
  ].join('\n');
}

/** A configured pair (relative paths from the repository root), or the stack's own self-signed pair. */
export async function ensureTlsFiles(options: {
  stateDir: string;
  configured: { certificateFile?: string | undefined; keyFile?: string | undefined };
  /** Names the self-signed certificate is made for (IP addresses and DNS names). */
  hosts: readonly string[];
}): Promise<TlsFiles & { selfSigned: boolean }> {
  const { certificateFile, keyFile } = options.configured;
  if (certificateFile !== undefined && keyFile !== undefined) {
    const files = { certificateFile: path.resolve(repoRoot, certificateFile), keyFile: path.resolve(repoRoot, keyFile) };
    for (const file of Object.values(files)) {
      if (!existsSync(file)) throw new StackError(`TLS file ${file} does not exist; fix tls.certificateFile / tls.keyFile`);
    }
    return { ...files, selfSigned: false };
  }
  const dir = path.join(options.stateDir, 'tls');
  const files = { certificateFile: path.join(dir, 'certificate.pem'), keyFile: path.join(dir, 'key.pem') };
  if (!existsSync(files.certificateFile) || !existsSync(files.keyFile)) await makeSelfSigned(dir, files, options.hosts);
  return { ...files, selfSigned: true };
}

async function makeSelfSigned(dir: string, files: TlsFiles, hosts: readonly string[]): Promise<void> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const names = [...new Set(hosts)].map((host) => (isIP(host) ? `IP:${host}` : `DNS:${host}`)).join(',');
  try {
    // umask 077 for the key: openssl writes it with the process's umask.
    await execFileAsync(
      'sh',
      [
        '-c',
        'umask 077 && exec openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 825 -subj "$1" -addext "$2" -addext "basicConstraints=critical,CA:FALSE" -addext "extendedKeyUsage=serverAuth" -keyout "$3" -out "$4"',
        'sh',
        `/CN=${hosts[0] ?? 'localhost'}`,
        `subjectAltName=${names}`,
        files.keyFile,
        files.certificateFile,
      ],
      { timeout: 30_000 },
    );
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? String(error);
    throw new StackError(`could not make a self-signed TLS certificate with openssl (is it installed?): ${stderr.trim().split('\n').at(-1)}`);
  }
}
