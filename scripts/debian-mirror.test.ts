import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

// The mirror the Orthanc root is built from, detected by scripts/debian-mirror.sh from fake
// /etc/apt trees in the shapes Debian and Ubuntu machines come in.
const script = path.join(import.meta.dirname, 'debian-mirror.sh');
const trees: string[] = [];

function aptTree(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'rs-apt-'));
  trees.push(dir);
  mkdirSync(path.join(dir, 'sources.list.d'));
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return dir;
}

function detect(aptDir: string, env: Record<string, string> = {}): string {
  const inherited = { ...process.env };
  delete inherited.READING_STATION_DEBIAN_MIRROR;
  return execFileSync('bash', [script, aptDir], { env: { ...inherited, ...env }, encoding: 'utf8' }).trim();
}

afterEach(() => {
  for (const dir of trees.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const DEB822_BOOKWORM = `Types: deb
# http://snapshot.debian.org/archive/debian/20250520T000000Z
URIs: http://mirror.example.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://mirror.example.org/debian-security
Suites: bookworm-security
Components: main
`;

describe('detect_debian_mirror', () => {
  it('reads a deb822-only machine (no sources.list at all), as fresh Debian 12 images are', () => {
    expect(detect(aptTree({ 'sources.list.d/debian.sources': DEB822_BOOKWORM }))).toBe('http://mirror.example.org/debian');
  });

  it('skips deb-src stanzas and security archives listed first', () => {
    const dir = aptTree({
      'sources.list.d/debian.sources': `Types: deb-src\nURIs: http://src.example.org/debian\nSuites: trixie\n\nTypes: deb\nURIs: https://security.example.org/debian-security\nSuites: trixie-security\n\nTypes: deb\nURIs: https://ftp.example.net/debian/\nSuites: trixie\n`,
    });
    expect(detect(dir)).toBe('https://ftp.example.net/debian');
  });

  it('reads a classic one-line sources.list, options in brackets included', () => {
    const dir = aptTree({
      'sources.list': '# comment\ndeb-src http://src.example.org/debian bookworm main\ndeb [arch=amd64 signed-by=/k.gpg] http://ftp.de.debian.org/debian/ bookworm main\n',
    });
    expect(detect(dir)).toBe('http://ftp.de.debian.org/debian');
  });

  it('prefers the deb822 files when both formats are present', () => {
    const dir = aptTree({
      'sources.list': 'deb http://classic.example.org/debian bookworm main\n',
      'sources.list.d/debian.sources': DEB822_BOOKWORM,
    });
    expect(detect(dir)).toBe('http://mirror.example.org/debian');
  });

  it('ignores third-party repositories and falls back to deb.debian.org', () => {
    const dir = aptTree({
      'sources.list.d/vendor.list': 'deb https://packages.vendor.example/apt stable main\n',
      'sources.list.d/other.sources': 'Types: deb\nURIs: https://repo.example.com/ubuntu\nSuites: noble\n',
    });
    expect(detect(dir)).toBe('http://deb.debian.org/debian');
  });

  it('falls back when /etc/apt has no sources at all, and when the directory does not exist', () => {
    expect(detect(aptTree({}))).toBe('http://deb.debian.org/debian');
    expect(detect('/nonexistent/apt')).toBe('http://deb.debian.org/debian');
  });

  it('uses READING_STATION_DEBIAN_MIRROR over anything configured', () => {
    const dir = aptTree({ 'sources.list.d/debian.sources': DEB822_BOOKWORM });
    expect(detect(dir, { READING_STATION_DEBIAN_MIRROR: 'http://local.mirror/debian/' })).toBe('http://local.mirror/debian');
  });
});
