/**
 * Meeting reads, answered from memory for a moment. A meeting day has many screens polling the
 * same list and the same meeting; on the embedded database every read waits its turn on one
 * connection, so under 200 connections the queue, not the query, was the cost.
 *
 * Safe by construction:
 * - keyed by the account as well as the request, so a reply never reaches another account,
 *   whatever later makes replies depend on who asks;
 * - cleared when any meeting change commits (server/services.ts wires MeetingService's
 *   onCommitted to `clear`), so a secretariat sees its own change at once;
 * - kept at most TTL_MS, which bounds what other writes (a site renamed) can leave stale;
 * - requests that arrive together share one database read; one that arrives after a clear
 *   never joins a read started before it.
 */
import { createHash } from 'node:crypto';

export interface CachedReply {
  body: string;
  etag: string;
}

const TTL_MS = 1000;
const MAX_REPLIES = 2000;

export class MeetingReplyCache {
  readonly #replies = new Map<string, { reply: CachedReply; until: number }>();
  readonly #building = new Map<string, Promise<CachedReply>>();
  #generation = 0;

  async get(key: string, build: () => Promise<string>): Promise<CachedReply> {
    const kept = this.#replies.get(key);
    if (kept && kept.until > performance.now()) return kept.reply;
    let building = this.#building.get(key);
    if (!building) {
      const generation = this.#generation;
      const started = performance.now();
      building = build().then((body) => {
        const reply = { body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` };
        if (generation === this.#generation) {
          if (this.#replies.size >= MAX_REPLIES) this.#replies.clear();
          this.#replies.set(key, { reply, until: started + TTL_MS });
        }
        return reply;
      });
      const settle = () => {
        if (this.#building.get(key) === building) this.#building.delete(key);
      };
      building.then(settle, settle);
      this.#building.set(key, building);
    }
    return building;
  }

  clear(): void {
    this.#generation += 1;
    this.#replies.clear();
    this.#building.clear();
  }
}
