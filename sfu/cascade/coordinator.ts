/**
 * Decides, for one room, which side of the cascade this node is on, and keeps it so.
 *
 * The meeting's origin is the node its host hall is placed on (api/nodes, through
 * `originOf`). When that is this node, or no node yet, the room is an origin: it accepts edges'
 * links. When it is another node, the room is an edge linked to it. The answer is asked again
 * every `pollMs`: when the origin dies and the host's console reconnects to another node, that
 * node becomes the origin and the edges link to it on their next look (and a node that was an
 * edge becomes the origin if the host comes to it). A link that fails is tried again then too.
 */
import type { Logger } from 'pino';
import type { Room } from '../room.ts';
import type { CascadeChannel } from './channel.ts';
import { EdgeCascade, type OriginAddress } from './edge.ts';
import { OriginCascade } from './origin.ts';
import type { PipeListenInfo } from './pipe-link.ts';
import type { EdgeFrame, OriginFrame, PipeEndpoint } from './protocol.ts';

export interface CascadeOptions {
  /** This node's id (SFU_NODE_ID). */
  nodeId: string;
  /** The secret every node shares (SFU_CASCADE_SECRET). */
  secret: string;
  /** The meeting's origin now, or undefined when its host is placed nowhere alive yet. */
  originOf(meetingId: string): Promise<OriginAddress | undefined>;
  /** How often a room asks again (SFU_CASCADE_POLL_MS). */
  pollMs: number;
}

export class RoomCoordinator {
  #cascade: OriginCascade | EdgeCascade | undefined;
  #timer: NodeJS.Timeout | undefined;
  #looking: Promise<void> | undefined;
  #closed = false;

  constructor(
    private readonly room: Room,
    private readonly opts: CascadeOptions,
    private readonly listenInfo: () => PipeListenInfo,
    private readonly log: Logger,
  ) {}

  /** Looks once now (the first sites should not wait a poll) and then every pollMs. */
  start(): Promise<void> {
    this.#timer = setInterval(() => void this.look(), this.opts.pollMs);
    this.#timer.unref();
    return this.look();
  }

  get cascade(): OriginCascade | EdgeCascade | undefined {
    return this.#cascade;
  }

  /** Resolves the origin and attaches the matching side; one look at a time. */
  look(): Promise<void> {
    this.#looking ??= this.#look()
      .catch((err: unknown) => this.log.warn({ err, meetingId: this.room.meetingId }, 'cascade: could not find the origin'))
      .finally(() => (this.#looking = undefined));
    return this.#looking;
  }

  async #look(): Promise<void> {
    if (this.#closed || this.room.closed) return;
    const origin = await this.opts.originOf(this.room.meetingId);
    if (this.#closed || this.room.closed) return;
    const current = this.#cascade;
    // A live link outlasts a late heartbeat: the origin is gone when its socket closes, not when
    // the database misses a beat (under load a node is briefly "dead" and back).
    if (!origin && current?.role === 'edge' && !current.closed) return;
    if (!origin || origin.nodeId === this.opts.nodeId) {
      if (current?.role !== 'origin') this.#attach(new OriginCascade(this.room, this.listenInfo, this.log.child({ cascade: 'origin' })));
      return;
    }
    if (current?.role === 'edge' && current.origin.nodeId === origin.nodeId && current.origin.url === origin.url && !current.closed) return;
    const edge = new EdgeCascade(this.room, origin, {
      nodeId: this.opts.nodeId,
      secret: this.opts.secret,
      listenInfo: this.listenInfo,
      log: this.log.child({ cascade: 'edge', origin: origin.nodeId }),
    });
    this.#attach(edge);
    try {
      await edge.link();
    } catch (err) {
      this.log.warn({ err: (err as Error).message, origin: origin.nodeId }, 'cascade: link to origin failed; trying again');
    }
  }

  #attach(next: OriginCascade | EdgeCascade): void {
    const previous = this.#cascade;
    this.#cascade = next;
    this.room.setCascade(next);
    if (previous) {
      previous.close();
      if (previous.role === 'edge') this.room.forgetOrigin();
    }
  }

  /** An edge asks this room to be its origin. */
  async accept(channel: CascadeChannel<EdgeFrame, OriginFrame>, requestId: number, nodeId: string, pipe: PipeEndpoint): Promise<void> {
    const cascade = this.#cascade;
    if (cascade?.role !== 'origin') {
      channel.send({ id: requestId, type: 'response', ok: false, error: 'this node is not the origin of the meeting' });
      channel.close();
      return;
    }
    await cascade.accept(channel, requestId, nodeId, pipe);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    this.#cascade?.close();
  }
}
