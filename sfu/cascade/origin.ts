/**
 * The origin's side of the cascade for one meeting: the room on the host's node, linked to
 * every edge node that has sites of the meeting.
 *
 * Per edge link it keeps one PipeTransport pair and:
 *  - sends what every site must receive (room.published(): the host's camera, microphone and
 *    screen, the floor holder's camera and microphone, the spotlighted camera) once to each
 *    edge, whatever the number of sites there — except a site's own media back to its edge;
 *  - tells the edge which of its sites' media the origin needs (`want`: the hosts' grid pages,
 *    the floor, the spotlight) and adopts what the edge pipes back into that site's remote peer;
 *  - mirrors the edge's sites as remote peers (roster, microphone, audio-only, hands);
 *  - relays the room-wide notes (floor, spotlight, hand queue), the host's commands on the
 *    edge's sites, and the end of the meeting.
 * What crosses is recomputed from the room's state after every change (debounced to one pass
 * per tick); the sets involved are a handful of producers and a page of sites, never the roster.
 */
import type { Logger } from 'pino';
import type { LeaveCause } from '../../db/attendance-event.ts';
import type { SiteInfo } from '../protocol.ts';
import type { Room, RoomCascade } from '../room.ts';
import type { CascadeChannel } from './channel.ts';
import { CoalescedTask } from './coalesced-task.ts';
import { PipeLink, type PipeListenInfo } from './pipe-link.ts';
import { CascadeCloseCode, type EdgeFrame, type OriginFrame, type PipeEndpoint, type RelayedNote } from './protocol.ts';

type EdgeChannel = CascadeChannel<EdgeFrame, OriginFrame>;

interface EdgeLink {
  nodeId: string;
  channel: EdgeChannel;
  pipe: PipeLink;
  /** The edge's sites, as it reported them. */
  sites: Set<string>;
  /** The `want` last sent, to send only changes. */
  wanted: string;
}

export class OriginCascade implements RoomCascade {
  readonly role = 'origin' as const;
  readonly #links = new Map<string, EdgeLink>();
  readonly #sync = new CoalescedTask(
    () => this.#bringLinksInLine(),
    (err: unknown) => this.log.warn({ err }, 'cascade sync failed'),
  );
  #closed = false;

  constructor(
    private readonly room: Room,
    private readonly listenInfo: () => PipeListenInfo,
    private readonly log: Logger,
  ) {}

  /** Edge nodes linked now (diagnostics, tests). */
  get edges(): string[] {
    return [...this.#links.keys()];
  }

  /** Producers being sent to `nodeId` now (the bench and tests check this equals what that edge needs). */
  sentTo(nodeId: string): string[] {
    const link = this.#links.get(nodeId);
    return link ? [...link.pipe.sending()] : [];
  }

  /** The pipe to `nodeId` (diagnostics, tests). */
  pipeTo(nodeId: string): PipeLink | undefined {
    return this.#links.get(nodeId)?.pipe;
  }

  /** An edge asked to link: a pipe pair, the room's state, then frames both ways. */
  async accept(channel: EdgeChannel, requestId: number, nodeId: string, edgePipe: PipeEndpoint): Promise<void> {
    this.#links.get(nodeId)?.channel.close(CascadeCloseCode.shutdown, 'replaced');
    this.#dropLink(nodeId);
    const pipe = await PipeLink.open(this.room.primaryRouter, this.listenInfo());
    try {
      await pipe.connect(edgePipe);
    } catch (err) {
      pipe.close();
      throw err;
    }
    if (this.#closed || !channel.open) {
      pipe.close();
      return;
    }
    const link: EdgeLink = { nodeId, channel, pipe, sites: new Set(), wanted: '' };
    this.#links.set(nodeId, link);
    channel.onFrame((frame) => this.#onFrame(link, frame));
    void channel.closed.then(() => {
      if (this.#links.get(nodeId) === link) this.#dropLink(nodeId);
    });
    channel.send({
      id: requestId,
      type: 'response',
      ok: true,
      data: { pipe: pipe.local, floorHolder: this.room.floorHolder, spotlight: this.room.spotlightSite, handQueue: [...this.room.handQueue] },
    });
    this.log.info({ edge: nodeId }, 'edge linked');
    this.changed();
  }

  #onFrame(link: EdgeLink, frame: EdgeFrame): void {
    switch (frame.type) {
      case 'link':
        // one link per socket
        link.channel.close(CascadeCloseCode.protocolError, 'already linked');
        return;
      case 'site':
        this.#site(link, frame.data);
        return;
      case 'siteLeft':
        link.sites.delete(frame.data.siteId);
        this.room.removeRemotePeer(frame.data.siteId);
        return;
      case 'hand':
        if (link.sites.has(frame.data.siteId)) this.room.remoteHand(frame.data.siteId, frame.data.raised);
        return;
      case 'produce': {
        const piped = frame.data;
        const peer = this.room.peerBySite(piped.site.siteId);
        // only a site this edge reported, and only its media
        if (!peer?.remote || peer.identity.remoteNode !== link.nodeId || !link.sites.has(piped.site.siteId)) return;
        link.pipe.receive(piped).then(
          (producer) => producer && this.room.adoptProducer(peer, producer, piped.source),
          (err: unknown) => this.log.warn({ err, edge: link.nodeId, producerId: piped.producerId }, 'piped producer refused'),
        );
        return;
      }
      case 'unproduce':
        link.pipe.stopReceiving(frame.data.producerId);
        return;
      case 'producerPaused':
        void link.pipe.setReceivedPaused(frame.data.producerId, frame.data.paused);
        return;
    }
  }

  #site(link: EdgeLink, info: SiteInfo): void {
    if (info.role !== 'participant') return;
    if (!info.online) {
      link.sites.delete(info.siteId);
      this.room.removeRemotePeer(info.siteId);
      return;
    }
    const here = this.room.peerBySite(info.siteId);
    // the same site connected here too (it moved): the local connection wins
    if (here && !here.remote) return;
    link.sites.add(info.siteId);
    this.room.reportRemoteSite(info, link.nodeId);
  }

  /** The edge is gone (killed, shut down, unreachable): its sites leave this room. */
  #dropLink(nodeId: string): void {
    const link = this.#links.get(nodeId);
    if (!link) return;
    this.#links.delete(nodeId);
    link.pipe.close();
    for (const siteId of link.sites) this.room.removeRemotePeer(siteId, 'server-failure');
    this.log.info({ edge: nodeId }, 'edge unlinked');
  }

  changed(): void {
    if (this.#closed) return;
    this.#sync.request();
  }

  /** Brings every link in line with the room: what it sends, what it wants. */
  async #bringLinksInLine(): Promise<void> {
    const published = this.room.published();
    const wanted = this.room.wantedSites();
    for (const link of [...this.#links.values()]) {
      const need = published.filter(({ peer }) => !(peer.remote && peer.identity.remoteNode === link.nodeId));
      const needIds = new Set(need.map((n) => n.producer.id));
      for (const producerId of [...link.pipe.sending()]) {
        if (needIds.has(producerId)) continue;
        link.pipe.stopSending(producerId);
      }
      for (const { peer, source, producer } of need) {
        if (link.pipe.isSending(producer.id) || producer.closed) continue;
        try {
          await this.room.ensureOnPrimary(producer.id);
          const piped = await link.pipe.send(producer, { siteId: peer.siteId, siteName: peer.identity.siteName, role: peer.role }, source, {
            paused: (paused) => link.channel.send({ type: 'producerPaused', data: { producerId: producer.id, paused } }),
            closed: () => link.channel.send({ type: 'unproduce', data: { producerId: producer.id } }),
          });
          if (piped) link.channel.send({ type: 'produce', data: piped });
        } catch (err) {
          if (!producer.closed && !link.pipe.closed) this.log.warn({ err, edge: link.nodeId, producerId: producer.id }, 'could not pipe to edge');
        }
      }
      const want = [...wanted].filter((siteId) => link.sites.has(siteId)).sort();
      const key = want.join(',');
      if (key !== link.wanted) {
        link.wanted = key;
        link.channel.send({ type: 'want', data: { siteIds: want } });
      }
    }
  }

  relay(note: RelayedNote): void {
    for (const link of this.#links.values()) link.channel.send({ type: 'note', data: note });
  }

  command(siteId: string, action: 'mute' | 'kick'): void {
    for (const link of this.#links.values()) {
      if (!link.sites.has(siteId)) continue;
      link.channel.send({ type: 'command', data: { siteId, action } });
      if (action === 'kick') link.sites.delete(siteId);
    }
  }

  siteChanged(): void {}
  hand(): void {}

  roomClosed(cause: LeaveCause): void {
    for (const link of this.#links.values()) {
      if (cause === 'meeting-ended') link.channel.send({ type: 'ended', data: {} });
    }
    this.close(cause === 'meeting-ended' ? CascadeCloseCode.meetingOver : CascadeCloseCode.shutdown);
  }

  /** Closes every link (the edges link again to whichever node is the origin then). Idempotent. */
  close(code: number = CascadeCloseCode.shutdown): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const link of [...this.#links.values()]) {
      link.channel.close(code, 'origin closed');
      link.pipe.close();
    }
    this.#links.clear();
  }
}
