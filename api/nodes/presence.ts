/**
 * This process as a node of the registry: registered at start, a heartbeat with its load every
 * SFU_NODE_HEARTBEAT_MS, a sweep that declares silent nodes dead (and closes their sites'
 * attendance, dead-node-attendance.ts), and a clean leave on
 * shutdown. A failed heartbeat (the database away for a moment) is logged and the next one
 * tries again; a row gone missing is registered again.
 */
import type { AppContext } from '../context.ts';
import { sweepDeadNodes } from './dead-node-attendance.ts';
import { heartbeat, leaveRegistry, registerNode, type NodeRegistration } from './registry.ts';

export interface NodePresenceOptions {
  node: NodeRegistration;
  heartbeatMs: number;
  deadAfterMs: number;
  /** Sites connected to this node now. */
  load(): number;
  /** The operator moved this node's sites away (api/nodes/registry.ts moveSitesOff): send them to rejoin. */
  onSitesMoved?(): void;
}

export class NodePresence {
  #timer: NodeJS.Timeout | undefined;
  #beating: Promise<void> | undefined;
  #closed = false;
  /** The last move of our sites we acted on; at first our start (a move before it has nothing left to move). */
  #sitesMovedAt = 0;

  private constructor(
    private readonly ctx: Pick<AppContext, 'db' | 'logger' | 'now'>,
    private readonly opts: NodePresenceOptions,
  ) {}

  static async start(ctx: Pick<AppContext, 'db' | 'logger' | 'now'>, opts: NodePresenceOptions): Promise<NodePresence> {
    const presence = new NodePresence(ctx, opts);
    const at = ctx.now();
    await registerNode(ctx.db, opts.node, at);
    presence.#sitesMovedAt = at.getTime();
    ctx.logger.info({ node: opts.node }, 'sfu node registered');
    presence.#timer = setInterval(() => {
      presence.#beating ??= presence.#beat().finally(() => (presence.#beating = undefined));
    }, opts.heartbeatMs);
    presence.#timer.unref();
    return presence;
  }

  get nodeId(): string {
    return this.opts.node.id;
  }

  async #beat(): Promise<void> {
    const { db, logger } = this.ctx;
    try {
      const at = this.ctx.now();
      const beat = await heartbeat(db, this.opts.node.id, this.opts.load(), at);
      if (!beat) await registerNode(db, this.opts.node, at);
      else {
        const movedAt = beat.sitesMovedAt?.getTime();
        if (movedAt !== undefined && movedAt > this.#sitesMovedAt) {
          this.#sitesMovedAt = movedAt;
          logger.info({ nodeId: this.opts.node.id }, 'sfu node: the operator moved its sites away; they rejoin elsewhere');
          this.opts.onSitesMoved?.();
        }
      }
      for (const dead of await sweepDeadNodes(db, at, this.opts.deadAfterMs)) {
        logger.warn({ nodeId: dead.id, by: this.opts.node.id, connectionsClosed: dead.connectionsClosed }, 'sfu node declared dead');
      }
    } catch (err) {
      if (!this.#closed) logger.warn({ err, nodeId: this.opts.node.id }, 'sfu node heartbeat failed');
    }
  }

  /** Stops heartbeating and leaves placement at once. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    await this.#beating;
    try {
      await leaveRegistry(this.ctx.db, this.opts.node.id, this.ctx.now());
      this.ctx.logger.info({ nodeId: this.opts.node.id }, 'sfu node left the registry');
    } catch (err) {
      this.ctx.logger.warn({ err, nodeId: this.opts.node.id }, 'sfu node could not leave the registry; it is declared dead once silent');
    }
  }
}
