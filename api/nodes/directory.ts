/**
 * What the pages and placement need to know about the nodes without asking the database on
 * every request: this process's own node (if it runs one) and its live load, and the origins of their signaling URLs, which the live pages' Content-Security-Policy must let
 * them connect to. Kept for a few seconds; a read of a stale list answers with it and refreshes
 * it behind (a node registered a moment ago reaches the CSP a moment later, before any site
 * is placed on it in practice, since a node registers before it heartbeats).
 */
import { isNull } from 'drizzle-orm';
import { sfuNodes } from '../../db/schema.ts';
import type { AppContext } from '../context.ts';

const FRESH_MS = 3000;

export class NodeDirectory {
  #local: { nodeId: string; load(): number } | undefined;
  #origins: string[] = [];
  #refreshedAt = Number.NEGATIVE_INFINITY;
  #refreshing: Promise<void> | undefined;

  constructor(private readonly ctx: Pick<AppContext, 'db' | 'logger'>) {}

  /**
   * This process's own node, once its conference service runs (the composition root says so):
   * placement then counts its sites live instead of at its last heartbeat.
   */
  attachLocal(nodeId: string, load: () => number): void {
    this.#local = { nodeId, load };
  }

  get local(): { nodeId: string; load(): number } | undefined {
    return this.#local;
  }

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
