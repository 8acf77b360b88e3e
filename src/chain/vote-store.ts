// Durable record of this oracle's assignTask votes: written (fsync) before a vote is sent,
// read before any vote is decided, so a restart re-sends the same vote and never another.
import { sub, type Db } from '../store/db.js';
import type { VoteStore } from './loop.js';

export class LevelVoteStore implements VoteStore {
  private readonly db;
  constructor(db: Db) { this.db = sub(db, 'chain-votes'); }
  async get(key: string): Promise<Uint8Array | null> { return (await this.db.get(key)) ?? null; }
  async put(key: string, node: Uint8Array): Promise<void> {
    refuseConflict(key, await this.get(key), node);
    await this.db.put(key, node, { sync: true } as never);
  }
}

/** The same rule in memory (the simulator's oracles: the map is their disk and survives their crashes). */
export class MemoryVoteStore implements VoteStore {
  private readonly m = new Map<string, Uint8Array>();
  async get(key: string): Promise<Uint8Array | null> { return this.m.get(key) ?? null; }
  async put(key: string, node: Uint8Array): Promise<void> {
    refuseConflict(key, this.m.get(key) ?? null, node);
    this.m.set(key, node);
  }
}

function refuseConflict(key: string, prev: Uint8Array | null, node: Uint8Array): void {
  if (prev && Buffer.compare(prev, node) !== 0) throw new Error(`refusing a second, different vote for ${key}`);
}
