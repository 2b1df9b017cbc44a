/**
 * An edge's side of the cascade for one meeting: the room on a node whose sites' host is on
 * another node (the origin). It links to the origin (one authenticated socket and one
 * PipeTransport pair), then:
 *  - creates here, under the same ids, the producers the origin sends (the host's, the floor
 *    holder's, the spotlighted camera), each held by a remote peer, so this node's sites
 *    consume them like local producers — one copy crosses, whatever the number of sites here;
 *  - reports its sites (joined, left, microphone, audio only, hands) for the origin's hosts,
 *    and pipes the media of the sites the origin wants (grid page, floor, spotlight);
 *  - applies the origin's floor, spotlight, hand queue, commands and the meeting's end.
 * When the link breaks (the origin died or restarted), the origin's media and state leave this
 * room and the edge links again to whichever node is the origin then; its sites stay connected.
 */
import type { Logger } from 'pino';
import type { SiteInfo } from '../protocol.ts';
import type { Room, RoomCascade } from '../room.ts';
import { CascadeChannel } from './channel.ts';
import { CoalescedTask } from './coalesced-task.ts';
import { PipeLink, type PipeListenInfo } from './pipe-link.ts';
import { CascadeCloseCode, type EdgeFrame, OriginFrame, type LinkReply, type PipedProducer } from './protocol.ts';

type OriginChannel = CascadeChannel<OriginFrame, EdgeFrame>;

export interface OriginAddress {
  nodeId: string;
  /** ws(s)://origin/cascade */
  url: string;
}

export interface EdgeOptions {
  nodeId: string;
  secret: string;
  listenInfo: () => PipeListenInfo;
  log: Logger;
  /** How long the link request may take before the edge tries again. */
  timeoutMs?: number;
}

const LINK_TIMEOUT_MS = 5000;

export class EdgeCascade implements RoomCascade {
  readonly role = 'edge' as const;
  #channel: OriginChannel | undefined;
  #pipe: PipeLink | undefined;
  /** Local sites the origin wants media of. */
  #wanted = new Set<string>();
  /** Local sites the origin has been told of. */
  readonly #reported = new Set<string>();
  readonly #sync = new CoalescedTask(
    () => this.#pipeWanted(),
    (err: unknown) => this.opts.log.warn({ err }, 'cascade sync failed'),
  );
  #closed = false;
  #over = false;
  /** Resolves when the link ends, however. */
  readonly ended: Promise<void>;
  #end: () => void = () => {};

  constructor(
    private readonly room: Room,
    readonly origin: OriginAddress,
    private readonly opts: EdgeOptions,
  ) {
    this.ended = new Promise((resolve) => (this.#end = resolve));
  }

  /** Closed, or the link it made (or tried to make) is over: the coordinator makes a new one. */
  get closed(): boolean {
    return this.#closed || this.#over;
  }

  get linked(): boolean {
    return this.#channel?.open === true && this.#pipe !== undefined;
  }

  /** Opens the link; rejects (and ends) if the origin cannot be reached or refuses. */
  async link(): Promise<void> {
    const log = this.opts.log;
    try {
      const channel = await CascadeChannel.open<OriginFrame, EdgeFrame>({
        url: this.origin.url,
        nodeId: this.opts.nodeId,
        secret: this.opts.secret,
        incoming: OriginFrame,
        log,
        timeoutMs: this.opts.timeoutMs ?? LINK_TIMEOUT_MS,
      });
      this.#channel = channel;
      void channel.closed.then(() => this.#unlinked());
      if (this.#closed) return channel.close();
      const pipe = await PipeLink.open(this.room.primaryRouter, this.opts.listenInfo());
      void channel.closed.then(() => pipe.close());
      // The origin starts sending as soon as it answers: what comes before the pipe is connected waits here.
      const early: OriginFrame[] = [];
      const reply = await new Promise<LinkReply>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('link request timed out')), this.opts.timeoutMs ?? LINK_TIMEOUT_MS);
        void channel.closed.then(() => reject(new Error('origin closed the link')));
        channel.onFrame((frame) => {
          if (frame.type !== 'response') return void early.push(frame);
          clearTimeout(timer);
          if (frame.ok && frame.data) resolve(frame.data);
          else reject(new Error(`origin refused the link: ${frame.error ?? 'no reason'}`));
        });
        channel.send({ id: 1, type: 'link', data: { meetingId: this.room.meetingId, nodeId: this.opts.nodeId, pipe: pipe.local } });
      });
      await pipe.connect(reply.pipe);
      if (!channel.open || this.#closed) throw new Error('link closed while it opened');
      this.#pipe = pipe;
      channel.onFrame((frame) => this.#onFrame(frame));
      for (const frame of early) this.#onFrame(frame);
      this.room.applyNote({ type: 'handQueue', data: { siteIds: reply.handQueue } });
      this.room.applyNote({ type: 'spotlightChanged', data: { siteId: reply.spotlight } });
      this.room.applyNote({ type: 'floorChanged', data: { siteId: reply.floorHolder } });
      for (const info of this.room.localSiteInfos()) this.siteChanged(info);
      log.info({ origin: this.origin.nodeId }, 'linked to origin');
    } catch (err) {
      this.close();
      throw err;
    }
  }

  #onFrame(frame: OriginFrame): void {
    const pipe = this.#pipe;
    if (!pipe) return;
    switch (frame.type) {
      case 'response':
        return;
      case 'produce':
        this.#receive(pipe, frame.data);
        return;
      case 'unproduce': {
        const producer = pipe.received(frame.data.producerId);
        const siteId = producer?.appData['siteId'];
        pipe.stopReceiving(frame.data.producerId);
        // a remote site with nothing left to show has no business in this room
        const peer = typeof siteId === 'string' ? this.room.peerBySite(siteId) : undefined;
        if (peer?.remote && [...peer.producers()].length === 0) this.room.removeRemotePeer(peer.siteId);
        return;
      }
      case 'producerPaused':
        void pipe.setReceivedPaused(frame.data.producerId, frame.data.paused);
        return;
      case 'want':
        this.#wanted = new Set(frame.data.siteIds);
        this.changed();
        return;
      case 'note':
        this.room.applyNote(frame.data);
        return;
      case 'command':
        this.room.applyCommand(frame.data.siteId, frame.data.action).catch((err: unknown) => this.opts.log.warn({ err }, 'command failed'));
        return;
      case 'ended':
        this.room.endFromOrigin();
        return;
    }
  }

  #receive(pipe: PipeLink, piped: PipedProducer): void {
    const here = this.room.peerBySite(piped.site.siteId);
    // this node's own site: its media is here already
    if (here && !here.remote) return;
    let peer: ReturnType<Room['addRemotePeer']>;
    try {
      peer = this.room.addRemotePeer(piped.site, this.origin.nodeId);
    } catch {
      return; // the room closed meanwhile
    }
    pipe.receive(piped).then(
      (producer) => producer && this.room.adoptProducer(peer, producer, piped.source),
      (err: unknown) => this.opts.log.warn({ err, producerId: piped.producerId }, 'piped producer refused'),
    );
  }

  siteChanged(info: SiteInfo): void {
    const channel = this.#channel;
    if (!channel || !this.#pipe) return;
    if (info.online) {
      this.#reported.add(info.siteId);
      channel.send({ type: 'site', data: info });
    } else if (this.#reported.delete(info.siteId)) {
      channel.send({ type: 'siteLeft', data: { siteId: info.siteId } });
    }
    this.changed();
  }

  /** The origin will want the holder's media (it wants the floor): pipe it now, before this node's own fan-out. */
  async floorHeld(siteId: string): Promise<void> {
    if (this.#closed || !this.#pipe) return;
    this.#wanted.add(siteId);
    this.changed();
    await this.#sync.settled();
  }

  hand(siteId: string, raised: boolean): void {
    this.#channel?.send({ type: 'hand', data: { siteId, raised } });
  }

  relay(): void {}
  command(): void {}

  changed(): void {
    if (this.#closed || !this.#pipe) return;
    this.#sync.request();
  }

  /** Pipes the wanted local sites' media to the origin, and stops what is no longer wanted. */
  async #pipeWanted(): Promise<void> {
    const pipe = this.#pipe;
    const channel = this.#channel;
    if (!pipe || !channel) return;
    const need = new Map<string, { peer: NonNullable<ReturnType<Room['peerBySite']>>; source: 'camera' | 'microphone' | 'screen' }>();
    for (const siteId of this.#wanted) {
      const peer = this.room.peerBySite(siteId);
      if (!peer || peer.remote) continue;
      for (const { producer, source } of peer.producers()) need.set(producer.id, { peer, source });
    }
    for (const producerId of [...pipe.sending()]) if (!need.has(producerId)) pipe.stopSending(producerId);
    for (const [producerId, { peer, source }] of need) {
      if (pipe.isSending(producerId)) continue;
      const producer = peer.producerOf(source);
      if (!producer || producer.closed) continue;
      try {
        await this.room.ensureOnPrimary(producerId);
        const piped = await pipe.send(producer, { siteId: peer.siteId, siteName: peer.identity.siteName, role: peer.role }, source, {
          paused: (paused) => channel.send({ type: 'producerPaused', data: { producerId, paused } }),
          closed: () => channel.send({ type: 'unproduce', data: { producerId } }),
        });
        if (piped) channel.send({ type: 'produce', data: piped });
      } catch (err) {
        if (!producer.closed && !pipe.closed) this.opts.log.warn({ err, producerId }, 'could not pipe to origin');
      }
    }
  }

  #unlinked(): void {
    this.#over = true;
    const wasLinked = this.#pipe !== undefined;
    this.#pipe?.close();
    this.#pipe = undefined;
    this.#channel = undefined;
    this.#reported.clear();
    if (wasLinked && !this.room.closed) {
      this.opts.log.warn({ origin: this.origin.nodeId }, 'link to origin lost');
      this.room.forgetOrigin();
    }
    this.#end();
  }

  roomClosed(): void {
    this.close();
  }

  /** Ends the link (the room closed, or another node is the origin now). Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#channel?.close(CascadeCloseCode.shutdown, 'edge closed');
    if (!this.#channel) this.#unlinked();
  }
}
