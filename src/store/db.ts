// On-disk persistence (level / LevelDB). One database per oracle data dir;
// each component takes its own sublevel so keys never collide.
import { Level } from 'level';

export type Db = Level<string, Uint8Array>;
export type SubDb = ReturnType<Db['sublevel']>;

export async function openDb(path: string): Promise<Db> {
  const db = new Level<string, Uint8Array>(path, { valueEncoding: 'view' });
  await db.open();
  return db;
}

export function sub(db: Db, name: string) {
  return db.sublevel<string, Uint8Array>(name, { valueEncoding: 'view' });
}
