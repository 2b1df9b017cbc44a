/**
 * What the pages need to know about the nodes without asking the database on every request:
 * the origins of their signaling URLs, which the live pages' Content-Security-Policy must let
 * them connect to. Kept for a few seconds; a read of a stale list answers with it and refreshes
 * it behind (a node registered a moment ago reaches the CSP a moment later, before any site
 * is placed on it in practice, since a node registers before it heartbeats).
 */
import { isNull } from 'drizzle-orm';
import { sfuNodes } from '../../db/schema.ts';
import type { AppContext } from '../context.ts';

const FRESH_MS = 3000;

export class NodeDirectory {
  #origins: string[] = [];
  #refreshedAt = Number.NEGATIVE_INFINITY;
  #refreshing: Promise<void> | undefined;

  constructor(private readonly ctx: Pick<AppContext, 'db' | 'logger'>) {}

  /** Space-separated ws(s) origins of the registered nodes (for CSP connect-src). */
  connectSources(): string {
    if (performance.now() - this.#refreshedAt > FRESH_MS) void this.refresh();
    return this.#origins.join(' ');
  }

  refresh(): Promise<void> {
    this.#refreshing ??= (async () => {
      try {
        const rows = await this.ctx.db.select({ url: sfuNodes.signalingUrl }).from(sfuNodes).where(isNull(sfuNodes.deadAt));
        this.#origins = [...new Set(rows.map((r) => new URL(r.url).origin))].sort();
        this.#refreshedAt = performance.now();
      } catch (err) {
        this.ctx.logger.warn({ err }, 'node origins not refreshed');
      } finally {
        this.#refreshing = undefined;
      }
    })();
    return this.#refreshing;
  }
}
