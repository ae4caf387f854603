import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createDatabase } from '../db/database.ts';
import type { RsDatabase } from '../db/database.ts';
import { migrateToLatest } from '../db/migrations.ts';

export interface TempDatabase {
  db: RsDatabase;
  filename: string;
  dir: string;
  /** Closes the database and deletes its folder. */
  dispose(): Promise<void>;
}

/** A real SQLite file in a fresh temporary folder, migrated unless `migrate: false`. */
export async function createTempDatabase({ migrate = true }: { migrate?: boolean } = {}): Promise<TempDatabase> {
  const dir = mkdtempSync(path.join(tmpdir(), 'rs-db-'));
  const filename = path.join(dir, 'reading-station.sqlite');
  const db = createDatabase({ client: 'sqlite', filename });
  if (migrate) await migrateToLatest(db);
  return {
    db,
    filename,
    dir,
    async dispose() {
      await db.destroy();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
