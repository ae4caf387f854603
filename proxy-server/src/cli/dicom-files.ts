import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';

/** Thrown when a path given on the command line does not exist or cannot be listed. */
export class PathError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PathError';
  }
}

/**
 * The files to import: each named file as is, and every regular file under each named directory
 * (recursively, hidden entries skipped), sorted for a stable order, without duplicates. Nothing is
 * judged here: Orthanc decides what it takes, a DICOMDIR or a README included, and says why not.
 */
export async function collectFiles(paths: readonly string[]): Promise<string[]> {
  const found = new Set<string>();
  for (const given of paths) {
    const absolute = path.resolve(given);
    let info;
    try {
      info = await stat(absolute);
    } catch {
      throw new PathError(`cannot read ${given}: no such file or directory`);
    }
    if (info.isDirectory()) for (const file of await walk(absolute)) found.add(file);
    else found.add(absolute);
  }
  return [...found];
}

async function walk(directory: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(directory, { withFileTypes: true });
  } catch {
    throw new PathError(`cannot list ${directory}`);
  }
  const files: string[] = [];
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    if (entry.name.startsWith('.')) continue;
    const full = path.join(directory, entry.name);
    if (entry.isDirectory()) files.push(...(await walk(full)));
    else if (entry.isFile()) files.push(full);
  }
  return files;
}
