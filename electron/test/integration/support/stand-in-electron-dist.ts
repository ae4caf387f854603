import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FuseState } from '@electron/fuses';

/** @electron/fuses finds the fuse wire right after this marker in the Electron binary. */
const FUSE_SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';
const FUSE_WIRE_VERSION = 1;

/**
 * A directory shaped like an unpacked Linux Electron distribution, for electron-builder's
 * `electronDist` when no real one can be downloaded (docs/facts.md, Electron). electron-builder copies it to
 * `linux-unpacked/`, renames `electron` to the executable name and flips the fuses in it, so the
 * stand-in executable carries a fuse wire with the given initial states (index = FuseV1Options),
 * so a test can see which fuses the packaging config flipped.
 */
export function writeStandInElectronDist(dir: string, version: string, initialFuses: boolean[]): void {
  mkdirSync(join(dir, 'resources'), { recursive: true });
  const states = initialFuses.map((on) => (on ? FuseState.ENABLE : FuseState.DISABLE));
  const wire = Buffer.from([FUSE_WIRE_VERSION, states.length, ...states]);
  const executable = Buffer.concat([
    Buffer.from('#!/bin/sh\necho "stand-in for the Electron binary (packaging test only)" >&2\nexit 1\n'),
    Buffer.alloc(32),
    Buffer.from(FUSE_SENTINEL),
    wire,
    Buffer.alloc(32),
  ]);
  writeFileSync(join(dir, 'electron'), executable, { mode: 0o755 });
  writeFileSync(join(dir, 'version'), `${version}\n`);
  writeFileSync(join(dir, 'LICENSE'), 'stand-in Electron license file\n');
}
