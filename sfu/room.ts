/**
 * A room: one meeting's media on the SFU, and the meeting's media policy.
 *
 * Routers: the primary router (on the least-loaded worker) holds the host and the active-speaker
 * observer. When the workers the room uses carry more consumers than the configured limit, new
 * sites go to an extra router on another worker and the producers they need (the host's, the
 * floor holder's, a spotlighted site's) are piped there with pipeToRouter; site producers the
 * host needs are piped to the primary the same way.
 *
 * Policy (who receives what), recomputed for the peers a change concerns by `#reconcile`:
 *  - every site receives the host's camera, microphone and screen, plus the floor holder's
 *    camera and microphone and a spotlighted site's camera;
 *  - a site's microphone is paused server-side until the host gives it the floor;
 *  - the host receives the sites on its current page at the lowest simulcast layer, the active
 *    speaker, floor holder and spotlight at a high layer, and the floor holder's microphone;
 *  - a site in audio-only mode (a weak line) publishes no camera and receives no video.
 * Host controls: hand queue (first come, first served), floor, mute, spotlight, kick, end.
 *
 * Cost: a national meeting holds thousands of sites on one room, so no change may walk them
 * all unless every site's consumers change with it. The hosts are kept in their own set, the
 * participants in a roster sorted by name (binary insertion with one collator) from which a
 * host's page is a slice, and each producer remembers who consumes it. A join, leave or
 * produce reconciles only the peers whose desired consumers it changes: the joining peer and
 * the hosts (their page moved), or everyone when a host's or the floor holder's or the
 * spotlighted site's media changes. A peer's desired set is O(hosts + page size).
 *
 * The room reports to its owner (sfu/signaling.ts) through RoomEvents; it never touches sockets.
 *
 * Cascade (sfu/cascade): a meeting whose sites are on several nodes has one room per node. The
 * origin's room (the host's node) holds the authority — floor, spotlight, hand queue — and
 * stands for every site of the other nodes with a remote peer, so the host's grid, the floor
 * and the host controls work on them as on local sites; the edges' rooms stand for the host
 * (and a floor holder or spotlighted site of another edge) with remote peers holding the
 * producers piped from the origin, and mirror the origin's state. The RoomCascade attached to
 * the room moves the media and the state between them.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { types as ms } from 'mediasoup';
import type { LeaveCause } from '../db/attendance-event.ts';
import { rtcListenInfo, type SfuConfig } from './config.ts';
import { consoleOpen, forbidden, invalidState, notFound } from './errors.ts';
import { Peer, type PeerIdentity } from './peer.ts';
import type { MediaSource, ServerNotification, SiteInfo } from './protocol.ts';
import type { RelayedNote, RemoteSite } from './cascade/protocol.ts';
import type { WorkerPool, WorkerSlot } from './worker-pool.ts';

/** What a room tells the cascade attached to it (sfu/cascade/origin.ts or edge.ts). */
export interface RoomCascade {
  readonly role: 'origin' | 'edge';
  /** Media or policy changed: what crosses between nodes may have to change too. */
  changed(): void;
  /** Origin: a room-wide note every edge shows its sites. */
  relay(note: RelayedNote): void;
  /** Origin: the host muted or removed a site that is connected to another node. */
  command(siteId: string, action: 'mute' | 'kick'): void;
  /** Edge: a local site's state, for the origin's hosts (online: false when it left). */
  siteChanged(info: SiteInfo): void;
  /** Edge: a local site raised or lowered its hand; the origin keeps the queue. */
  hand(siteId: string, raised: boolean): void;
  /**
   * Edge: a local site holds the floor now. Resolves once its media is on its way to the origin,
   * which every other node waits for; optional for an origin.
   */
  floorHeld?(siteId: string): Promise<void>;
  /** The room closed (`meeting-ended` when the host ended the meeting). */
  roomClosed(cause: LeaveCause): void;
}

export interface RoomEvents {
  /** A peer's media connected for the first time (attendance `join`). */
  peerConnected(peer: Peer): void;
  /** A peer left the room for `cause`; its socket should be closed unless cause is 'left'. */
  peerClosed(peer: Peer, cause: LeaveCause): void;
  /** Floor changes for the attendance ledger; `eventId` is unique per fact. */
  floorChanged(kind: 'floor-given' | 'floor-taken', siteId: string, eventId: string): void;
  /** The room closed (ended, emptied, failed, shut down); forget it. */
  closed(room: Room): void;
}

/** The codecs every meeting router (and a rehearsal's) offers. */
export const mediaCodecs: ms.RouterRtpCodecCapability[] = [
  { kind: 'audio', mimeType: 'audio/opus', clockRate: 48000, channels: 2 },
  { kind: 'video', mimeType: 'video/VP8', clockRate: 90000, parameters: { 'x-google-start-bitrate': 1000 } },
  {
    kind: 'video',
    mimeType: 'video/H264',
    clockRate: 90000,
    parameters: { 'packetization-mode': 1, 'profile-level-id': '42e01f', 'level-asymmetry-allowed': 1 },
  },
];

/** Simulcast layers: 0 = thumbnail for the host's grid, 2 = full size. */
const LOW_LAYER = 0;
const HIGH_LAYER = 2;

/** One collator for every roster comparison: `localeCompare` builds one per call. */
const collator = new Intl.Collator('vi');
const byName = (a: Peer, b: Peer): number => collator.compare(a.identity.siteName, b.identity.siteName) || collator.compare(a.siteId, b.siteId);

interface RoomRouter {
  router: ms.Router;
  slot: WorkerSlot;
}

interface ProducerOwner {
  peer: Peer;
  source: MediaSource;
}

export class Room {
  /** Distinguishes this room object from a later one for the same meeting (after a failure). */
  readonly instanceId = randomUUID();
  readonly #routers: RoomRouter[];
  readonly #peers = new Map<string, Peer>();
  readonly #bySite = new Map<string, Peer>();
  readonly #owners = new Map<string, ProducerOwner>();
  readonly #hosts = new Set<Peer>();
  /** Participants ordered by name (`byName`): the host's grid pages are slices of it. */
  readonly #roster: Peer[] = [];
  /** Producer id → the peers consuming it, so a closed producer's consumers go at once. */
  readonly #audience = new Map<string, Set<Peer>>();
  readonly #handRaised = new Set<string>();
  readonly #pipes = new Map<string, Promise<void>>();
  readonly #handQueue: string[] = [];
  #floor: string | null = null;
  #spotlight: string | null = null;
  #activeSpeaker: string | null = null;
  #floorSeq = 0;
  #pendingJoins = 0;
  /** Peers standing for sites on other nodes (cascade). */
  #remoteCount = 0;
  #cascade: RoomCascade | undefined;
  #extraRouter: Promise<RoomRouter> | undefined;
  #closed = false;

  private constructor(
    readonly meetingId: string,
    primary: RoomRouter,
    private readonly activeSpeakerObserver: ms.ActiveSpeakerObserver,
    private readonly pool: WorkerPool,
    private readonly config: SfuConfig,
    private readonly events: RoomEvents,
    private readonly log: Logger,
  ) {
    this.#routers = [primary];
    activeSpeakerObserver.on('dominantspeaker', ({ producer }) => this.#onDominantSpeaker(producer.id));
  }

  static async create(opts: { meetingId: string; pool: WorkerPool; config: SfuConfig; events: RoomEvents; log: Logger }): Promise<Room> {
    const slot = opts.pool.leastLoaded();
    if (!slot) throw new Error('no live mediasoup worker');
    const router = await slot.worker.createRouter({ mediaCodecs, appData: { meetingId: opts.meetingId } });
    try {
      const aso = await router.createActiveSpeakerObserver({ interval: 300 });
      const log = opts.log.child({ meetingId: opts.meetingId });
      log.info({ routerId: router.id, workerPid: slot.worker.pid }, 'room opened');
      return new Room(opts.meetingId, { router, slot }, aso, opts.pool, opts.config, opts.events, log);
    } catch (err) {
      router.close();
      throw err;
    }
  }

  get closed(): boolean {
    return this.#closed;
  }
  get rtpCapabilities(): ms.RtpCapabilities {
    return this.#primary.router.rtpCapabilities;
  }
  get floorHolder(): string | null {
    return this.#floor;
  }
  get spotlightSite(): string | null {
    return this.#spotlight;
  }
  get activeSpeakerSite(): string | null {
    return this.#activeSpeaker;
  }
  get handQueue(): readonly string[] {
    return this.#handQueue;
  }
  /** The routers in use, primary first (for tests and diagnostics). */
  get routers(): readonly ms.Router[] {
    return this.#routers.map((r) => r.router);
  }
  /** Connected peers plus joins under way (the signaling server's admission count); remote sites are other nodes' load. */
  get size(): number {
    return this.#peers.size - this.#remoteCount + this.#pendingJoins;
  }
  get cascade(): RoomCascade | undefined {
    return this.#cascade;
  }
  /** The router pipe transports to other nodes live on. */
  get primaryRouter(): ms.Router {
    return this.#primary.router;
  }
  peers(): IterableIterator<Peer> {
    return this.#peers.values();
  }
  peerBySite(siteId: string): Peer | undefined {
    return this.#bySite.get(siteId);
  }

  get #primary(): RoomRouter {
    const primary = this.#routers[0];
    if (!primary) throw new Error('room has no router');
    return primary;
  }

  // -------------------------------------------------------------------------------------------
  // Membership
  // -------------------------------------------------------------------------------------------

  /**
   * Adds a connection. A second connection for the same site replaces the first — for the host's
   * console only when it is the same browser tab rejoining or the host confirmed the take-over;
   * otherwise the newcomer is refused with `console-open` and the open console stays.
   */
  async join(identity: PeerIdentity, notify: (n: ServerNotification) => void): Promise<Peer> {
    if (this.#closed) throw invalidState('meeting room closed');
    const open = this.#bySite.get(identity.siteId);
    if (open && identity.role === 'host' && !identity.takeOver && (identity.clientId === undefined || open.identity.clientId !== identity.clientId))
      throw consoleOpen('the console of this meeting is open elsewhere; confirm to take it over');
    this.#pendingJoins++;
    try {
      const previous = this.#bySite.get(identity.siteId);
      if (previous) {
        previous.send({ type: 'kicked', data: { reason: 'replaced' } });
        this.#remove(previous, 'left');
      }
      const where = identity.role === 'host' ? this.#primary : await this.#routerForSite();
      if (this.#closed) throw invalidState('meeting room closed');
      const peer = new Peer(
        identity,
        where.router,
        where.slot.webRtcServer,
        notify,
        {
          connected: (p) => this.events.peerConnected(p),
          failed: (p) => this.#remove(p, 'network'),
        },
        this.log.child({ connectionId: identity.connectionId, siteId: identity.siteId }),
      );
      this.#peers.set(peer.connectionId, peer);
      this.#bySite.set(peer.siteId, peer);
      if (peer.role === 'host') this.#hosts.add(peer);
      else this.#roster.splice(this.#rosterIndex(peer), 0, peer);
      this.log.info({ siteId: peer.siteId, role: peer.role, routerId: where.router.id }, 'peer joined');
      this.#broadcastSiteState(peer);
      this.#cascade?.changed();
      if (peer.role === 'host') {
        for (const other of this.#peers.values()) if (other !== peer) peer.send(this.#siteStateNote(other));
      } else {
        // A new site may shift the hosts' grid pages; it has nothing to send anyone else yet.
        this.#reconcileHosts();
      }
      return peer;
    } finally {
      this.#pendingJoins--;
      // a failed join into a room everyone else left meanwhile must not keep the room alive
      if (this.#empty) this.close('left');
    }
  }

  /** The browser said goodbye or its socket closed. */
  leave(peer: Peer, cause: LeaveCause = 'left'): void {
    this.#remove(peer, cause);
  }

  #remove(peer: Peer, cause: LeaveCause): void {
    if (this.#peers.get(peer.connectionId) !== peer) return;
    this.#peers.delete(peer.connectionId);
    if (peer.remote) this.#remoteCount--;
    if (this.#bySite.get(peer.siteId) === peer) this.#bySite.delete(peer.siteId);
    if (peer.role === 'host') this.#hosts.delete(peer);
    else this.#dropFromRoster(peer);
    if (this.#floor === peer.siteId) this.#endFloor();
    if (this.#spotlight === peer.siteId) this.#setSpotlight(null);
    if (this.#activeSpeaker === peer.siteId) this.#activeSpeaker = null;
    if (this.#handRaised.has(peer.siteId)) {
      this.#dropHand(peer.siteId);
      this.#broadcastHandQueue();
    }
    for (const consumer of peer.consumers()) this.#audience.get(consumer.producerId)?.delete(peer);
    peer.close();
    this.log.info({ siteId: peer.siteId, cause, remote: peer.remote }, 'peer left');
    if (!peer.remote) this.events.peerClosed(peer, cause);
    const gone: ServerNotification = { type: 'siteState', data: { ...this.#siteInfo(peer), online: false } };
    this.#notifyHosts(gone);
    if (!peer.remote && peer.role === 'participant') this.#cascade?.siteChanged(gone.data);
    if (this.#empty) {
      this.close('left');
      return;
    }
    // Its producers' consumers closed with them (#forget), even where it was the host, floor or
    // spotlight: nobody gains a consumer from a leave except a host whose page moved.
    this.#reconcileHosts();
    this.#cascade?.changed();
  }

  /**
   * No one left for the room to serve: no local peer and no join under way. An origin's room
   * also serves the sites of its edges; an edge's remote peers (the host, a floor holder) are
   * there only for its own sites.
   */
  get #empty(): boolean {
    if (this.#pendingJoins > 0) return false;
    const local = this.#peers.size - this.#remoteCount;
    return this.#cascade?.role === 'origin' ? this.#peers.size === 0 : local === 0;
  }

  #rosterIndex(peer: Peer): number {
    let lo = 0;
    let hi = this.#roster.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (byName(this.#roster[mid]!, peer) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  #dropFromRoster(peer: Peer): void {
    // Equal keys are possible while a replaced connection is still leaving: find this very peer.
    for (let i = this.#rosterIndex(peer); i < this.#roster.length; i++) {
      const at = this.#roster[i]!;
      if (at === peer) {
        this.#roster.splice(i, 1);
        return;
      }
      if (byName(at, peer) !== 0) return;
    }
  }

  /** Picks the router for a new site: stay on the room's workers while they are under the limit. */
  async #routerForSite(): Promise<RoomRouter> {
    const limit = this.config.maxConsumersPerWorker;
    const open = this.#routers.find((r) => !r.router.closed && r.slot.consumerCount < limit);
    if (open) return open;
    this.#extraRouter ??= this.#addRouter().finally(() => (this.#extraRouter = undefined));
    return this.#extraRouter;
  }

  async #addRouter(): Promise<RoomRouter> {
    const used = new Set(this.#routers.map((r) => r.slot.worker));
    const slot = this.pool.leastLoaded(used);
    const fallback = () => [...this.#routers].sort((a, b) => a.slot.consumerCount - b.slot.consumerCount)[0] ?? this.#primary;
    // Every worker is in use already: put the site where the load is least.
    if (!slot) return fallback();
    const router = await slot.worker.createRouter({ mediaCodecs, appData: { meetingId: this.meetingId } });
    if (this.#closed) {
      router.close();
      throw invalidState('meeting room closed');
    }
    const added = { router, slot };
    this.#routers.push(added);
    this.log.info({ routerId: router.id, workerPid: slot.worker.pid, routers: this.#routers.length }, 'room spread to another worker');
    return added;
  }

  // -------------------------------------------------------------------------------------------
  // Media
  // -------------------------------------------------------------------------------------------

  async setRtpCapabilities(peer: Peer, caps: Parameters<Peer['setRtpCapabilities']>[0]): Promise<void> {
    peer.setRtpCapabilities(caps);
    await this.#reconcile(peer);
  }

  async createTransport(peer: Peer, direction: 'send' | 'recv'): Promise<ms.WebRtcTransport> {
    const transport = await peer.createTransport(direction);
    if (direction === 'recv') void this.#reconcile(peer);
    return transport;
  }

  async produce(peer: Peer, req: Omit<Parameters<Peer['produce']>[0], 'paused'>): Promise<ms.Producer> {
    if (peer.audioOnly && req.source !== 'microphone') throw invalidState('this site is in audio-only mode');
    // A site's microphone stays muted at the server until the host gives it the floor.
    const paused = peer.role === 'participant' && req.source === 'microphone' && this.#floor !== peer.siteId;
    const producer = await peer.produce({ ...req, paused });
    this.#owners.set(producer.id, { peer, source: req.source });
    producer.observer.once('close', () => this.#forget(producer.id));
    if (req.source === 'microphone') {
      try {
        await this.#ensureOn(producer.id, this.#primary.router);
        await this.activeSpeakerObserver.addProducer({ producerId: producer.id });
      } catch (err) {
        if (!producer.closed) this.log.warn({ err, producerId: producer.id }, 'active speaker observer could not add mic');
      }
    }
    if (req.source === 'microphone') this.#broadcastSiteState(peer);
    this.#reconcileAudienceOf(peer);
    this.#cascade?.changed();
    return producer;
  }

  closeProducer(peer: Peer, producerId: string): void {
    // Its consumers close with it (#forget); nobody gains a consumer from a closed producer.
    peer.producer(producerId).producer.close();
  }

  /** A closed producer: its consumers close now rather than when the worker reports it. */
  #forget(producerId: string): void {
    this.#owners.delete(producerId);
    this.#cascade?.changed();
    const audience = this.#audience.get(producerId);
    if (!audience) return;
    this.#audience.delete(producerId);
    for (const peer of audience) peer.consumerOf(producerId)?.close();
  }

  /** Reconciles the peers that may want `peer`'s media: everyone for a host, floor or spotlight; else the hosts. */
  #reconcileAudienceOf(peer: Peer): void {
    if (peer.role === 'host' || this.#floor === peer.siteId || this.#spotlight === peer.siteId) this.#reconcileAll();
    else this.#reconcileHosts();
  }

  async setProducerPaused(peer: Peer, producerId: string, paused: boolean): Promise<void> {
    const { producer, source } = peer.producer(producerId);
    if (!paused && peer.role === 'participant' && source === 'microphone' && this.#floor !== peer.siteId) {
      throw forbidden('the microphone opens when the host gives the floor');
    }
    if (paused) await producer.pause();
    else await producer.resume();
    if (source === 'microphone') this.#broadcastSiteState(peer);
  }

  /**
   * A site switches to sound only (or back). Its camera is closed here rather than trusted to
   * the browser, so the line is relieved even if the page misbehaves; the reconcile then drops
   * the video it receives (or brings it back).
   */
  setAudioOnly(peer: Peer, audioOnly: boolean): void {
    if (peer.role !== 'participant') throw invalidState('only sites switch to audio only');
    if (peer.audioOnly === audioOnly) return;
    peer.audioOnly = audioOnly;
    if (audioOnly) peer.producerOf('camera')?.close();
    this.#broadcastSiteState(peer);
    this.#reconcileAll();
  }

  /** Makes `producerId` consumable on `target` (a no-op on its own router). */
  async #ensureOn(producerId: string, target: ms.Router): Promise<void> {
    const owner = this.#owners.get(producerId);
    if (!owner) throw notFound('producer gone');
    const source = owner.peer.router;
    if (source === target) return;
    const key = `${target.id}:${producerId}`;
    let piping = this.#pipes.get(key);
    if (!piping) {
      piping = source.pipeToRouter({ producerId, router: target, listenInfo: rtcListenInfo(this.config) }).then(({ pipeProducer }) => {
        // The pipe producer closes with the original (mediasoup chains them); forget it then.
        pipeProducer?.observer.once('close', () => this.#pipes.delete(key));
      });
      this.#pipes.set(key, piping);
      piping.catch(() => this.#pipes.delete(key));
    }
    await piping;
  }

  /** What `peer` should receive right now: producer id → preferred spatial layer. */
  #desired(peer: Peer): Map<string, number | undefined> {
    const out = new Map<string, number | undefined>();
    const add = (owner: Peer | undefined, source: MediaSource, layer?: number) => {
      if (!owner || owner === peer) return;
      const producer = owner.producerOf(source);
      if (!producer || (peer.audioOnly && producer.kind === 'video')) return;
      const prior = out.get(producer.id);
      out.set(producer.id, layer === undefined ? prior : Math.max(prior ?? layer, layer));
    };
    const site = (siteId: string | null) => (siteId ? this.#bySite.get(siteId) : undefined);
    for (const other of this.#hosts) {
      add(other, 'camera', HIGH_LAYER);
      add(other, 'microphone');
      add(other, 'screen', HIGH_LAYER);
    }
    add(site(this.#floor), 'camera', HIGH_LAYER);
    add(site(this.#floor), 'microphone');
    add(site(this.#spotlight), 'camera', HIGH_LAYER);
    if (peer.role === 'host') {
      for (const p of this.#page(peer)) add(p, 'camera', LOW_LAYER);
      add(site(this.#activeSpeaker), 'camera', HIGH_LAYER);
    }
    return out;
  }

  /** Brings `peer`'s consumers in line with the policy. Serialised per peer. */
  #reconcile(peer: Peer): Promise<void> {
    return peer.serially(async () => {
      if (!peer.canConsume || this.#closed) return;
      const desired = this.#desired(peer);
      for (const consumer of [...peer.consumers()]) {
        if (desired.has(consumer.producerId)) continue;
        this.#audience.get(consumer.producerId)?.delete(peer);
        consumer.close();
      }
      for (const [producerId, layer] of desired) {
        const owner = this.#owners.get(producerId);
        if (!owner || peer.closed) continue;
        const existing = peer.consumerOf(producerId);
        const layers = layer === undefined ? undefined : { spatialLayer: layer };
        if (existing) {
          if (layers && existing.type === 'simulcast' && existing.preferredLayers?.spatialLayer !== layer) {
            await existing.setPreferredLayers(layers);
          }
          continue;
        }
        try {
          await this.#ensureOn(producerId, peer.router);
          await peer.consume({ id: producerId, source: owner.source, siteId: owner.peer.siteId }, layers);
          const audience = this.#audience.get(producerId);
          if (!peer.consumerOf(producerId)) continue;
          if (audience) audience.add(peer);
          // the producer closed while we consumed: its consumer goes too
          else if (!this.#owners.has(producerId)) peer.consumerOf(producerId)?.close();
          else this.#audience.set(producerId, new Set([peer]));
        } catch (err) {
          // The producer or peer may have closed meanwhile; the next reconcile settles it.
          if (this.#owners.has(producerId) && !peer.closed) this.log.warn({ err, producerId }, 'consume failed');
        }
      }
    });
  }

  #reconcileAll(): void {
    for (const peer of this.#peers.values()) void this.#reconcile(peer);
  }

  #reconcileHosts(): void {
    for (const host of this.#hosts) void this.#reconcile(host);
  }

  /** Resolves once every peer's pending consumer changes are done (tests, diagnostics). */
  async settled(): Promise<void> {
    await Promise.all([...this.#peers.values()].map((p) => p.serially(async () => {})));
  }

  #onDominantSpeaker(producerId: string): void {
    const owner = this.#owners.get(producerId);
    const siteId = owner && owner.peer.role === 'participant' ? owner.peer.siteId : null;
    if (siteId === this.#activeSpeaker) return;
    this.#activeSpeaker = siteId;
    this.#notifyHosts({ type: 'activeSpeaker', data: { siteId } });
    this.#reconcileHosts();
  }

  // -------------------------------------------------------------------------------------------
  // Hand queue and host controls
  // -------------------------------------------------------------------------------------------

  raiseHand(peer: Peer): number {
    if (peer.role !== 'participant') throw invalidState('only sites raise hands');
    if (this.#floor === peer.siteId) throw invalidState('this site has the floor');
    if (this.#cascade?.role === 'edge') {
      // the origin keeps the queue; its answer comes back as a relayed handQueue
      this.#cascade.hand(peer.siteId, true);
      const at = this.#handQueue.indexOf(peer.siteId);
      return at >= 0 ? at + 1 : this.#handQueue.length + 1;
    }
    if (!this.#handRaised.has(peer.siteId)) {
      this.#handRaised.add(peer.siteId);
      this.#handQueue.push(peer.siteId);
      this.#broadcastHandQueue();
      this.#broadcastSiteState(peer);
    }
    return this.#handQueue.indexOf(peer.siteId) + 1;
  }

  lowerHand(peer: Peer): void {
    if (this.#cascade?.role === 'edge') return this.#cascade.hand(peer.siteId, false);
    if (!this.#handRaised.has(peer.siteId)) return;
    this.#dropHand(peer.siteId);
    this.#broadcastHandQueue();
    this.#broadcastSiteState(peer);
  }

  #dropHand(siteId: string): void {
    this.#handRaised.delete(siteId);
    const i = this.#handQueue.indexOf(siteId);
    if (i >= 0) this.#handQueue.splice(i, 1);
  }

  #host(peer: Peer): void {
    if (peer.role !== 'host') throw forbidden('host only');
  }

  #site(siteId: string): Peer {
    const peer = this.#bySite.get(siteId);
    if (peer?.role !== 'participant') throw notFound('site not connected');
    return peer;
  }

  async giveFloor(by: Peer, siteId: string): Promise<void> {
    this.#host(by);
    const site = this.#site(siteId);
    if (this.#floor === siteId) return;
    if (this.#floor) this.#endFloor();
    this.#floor = siteId;
    this.events.floorChanged('floor-given', siteId, `fg:${this.instanceId}:${++this.#floorSeq}`);
    if (this.#handRaised.has(siteId)) {
      this.#dropHand(siteId);
      this.#broadcastHandQueue();
    }
    await site.producerOf('microphone')?.resume();
    this.#broadcast({ type: 'floorChanged', data: { siteId } });
    this.#broadcastSiteState(site);
    this.#reconcileAll();
    this.#cascade?.changed();
  }

  revokeFloor(by: Peer): void {
    this.#host(by);
    if (!this.#floor) return;
    this.#endFloor();
    this.#reconcileAll();
  }

  /** Takes the floor back from its holder (revoked, given to another site, or holder left). */
  #endFloor(): void {
    const siteId = this.#floor;
    if (!siteId) return;
    this.#floor = null;
    this.events.floorChanged('floor-taken', siteId, `ft:${this.instanceId}:${this.#floorSeq}`);
    const holder = this.#bySite.get(siteId);
    const mic = holder?.producerOf('microphone');
    if (mic && !mic.closed) {
      mic.pause().catch((err: unknown) => {
        if (!mic.closed) this.log.warn({ err, siteId }, 'could not mute former floor holder');
      });
    }
    this.#broadcast({ type: 'floorChanged', data: { siteId: null } });
    if (holder) this.#broadcastSiteState(holder);
    this.#cascade?.changed();
  }

  async muteSite(by: Peer, siteId: string): Promise<void> {
    this.#host(by);
    const site = this.#site(siteId);
    if (site.remote) this.#cascade?.command(siteId, 'mute');
    await site.producerOf('microphone')?.pause();
    this.#broadcastSiteState(site);
  }

  spotlight(by: Peer, siteId: string | null): void {
    this.#host(by);
    if (siteId) this.#site(siteId);
    this.#setSpotlight(siteId);
    this.#reconcileAll();
  }

  #setSpotlight(siteId: string | null): void {
    if (this.#spotlight === siteId) return;
    this.#spotlight = siteId;
    this.#broadcast({ type: 'spotlightChanged', data: { siteId } });
    this.#cascade?.changed();
  }

  kick(by: Peer, siteId: string): void {
    this.#host(by);
    const site = this.#bySite.get(siteId);
    if (!site || site === by) throw notFound('site not connected');
    if (site.remote) this.#cascade?.command(siteId, 'kick');
    site.send({ type: 'kicked', data: { reason: 'host' } });
    this.#remove(site, 'kicked');
  }

  endMeeting(by: Peer): void {
    this.#host(by);
    this.#broadcast({ type: 'meetingEnded', data: {} });
    this.close('meeting-ended');
  }

  setPage(host: Peer, page: number, pageSize: number): { siteIds: string[]; total: number } {
    this.#host(host);
    host.page = { page, pageSize };
    void this.#reconcile(host);
    this.#cascade?.changed();
    return { siteIds: this.#page(host).map((s) => s.siteId), total: this.#roster.length };
  }

  /** The sites on the host's current grid page, ordered by name. */
  #page(host: Peer): Peer[] {
    const start = host.page.page * host.page.pageSize;
    return this.#roster.slice(start, start + host.page.pageSize);
  }

  // -------------------------------------------------------------------------------------------
  // Notifications
  // -------------------------------------------------------------------------------------------

  #siteInfo(peer: Peer): SiteInfo {
    const mic = peer.producerOf('microphone');
    return {
      siteId: peer.siteId,
      siteName: peer.identity.siteName,
      role: peer.role,
      online: !peer.closed,
      micMuted: peer.reported ? peer.reported.micMuted : !mic || mic.paused,
      handRaised: this.#handRaised.has(peer.siteId),
      hasFloor: this.#floor === peer.siteId,
      spotlighted: this.#spotlight === peer.siteId,
      audioOnly: peer.reported ? peer.reported.audioOnly : peer.audioOnly,
    };
  }

  #siteStateNote(peer: Peer): ServerNotification {
    return { type: 'siteState', data: this.#siteInfo(peer) };
  }

  /** A site's state goes to every host and to the site itself. */
  #broadcastSiteState(peer: Peer): void {
    const note = this.#siteStateNote(peer);
    this.#notifyHosts(note);
    if (peer.role !== 'host') peer.send(note);
    if (!peer.remote && peer.role === 'participant' && note.type === 'siteState') this.#cascade?.siteChanged(note.data);
  }

  #broadcastHandQueue(): void {
    this.#broadcast({ type: 'handQueue', data: { siteIds: [...this.#handQueue] } });
  }

  #notifyHosts(note: ServerNotification): void {
    for (const host of this.#hosts) host.send(note);
  }

  #broadcast(note: ServerNotification): void {
    for (const peer of this.#peers.values()) peer.send(note);
    if (this.#cascade?.role === 'origin' && (note.type === 'floorChanged' || note.type === 'spotlightChanged' || note.type === 'handQueue')) {
      this.#cascade.relay(note);
    }
  }

  // -------------------------------------------------------------------------------------------
  // Cascade (sfu/cascade): the other nodes' sites and the origin's state
  // -------------------------------------------------------------------------------------------

  /** Attaches (or, with undefined, detaches) the cascade that links this room to other nodes. */
  setCascade(cascade: RoomCascade | undefined): void {
    this.#cascade = cascade;
  }

  /** A peer standing for a site connected to `node`; the existing one if the site is here already. */
  addRemotePeer(site: RemoteSite, node: string): Peer {
    if (this.#closed) throw invalidState('meeting room closed');
    const open = this.#bySite.get(site.siteId);
    if (open) return open;
    const { router, slot } = this.#primary;
    const peer = new Peer(
      { connectionId: `${node}:${site.siteId}`, meetingId: this.meetingId, siteId: site.siteId, siteName: site.siteName, role: site.role, remoteNode: node },
      router,
      slot.webRtcServer,
      () => {},
      { connected: () => {}, failed: () => {} },
      this.log.child({ siteId: site.siteId, node }),
    );
    this.#peers.set(peer.connectionId, peer);
    this.#remoteCount++;
    this.#bySite.set(peer.siteId, peer);
    if (peer.role === 'host') this.#hosts.add(peer);
    else this.#roster.splice(this.#rosterIndex(peer), 0, peer);
    this.#reconcileHosts();
    this.#cascade?.changed();
    return peer;
  }

  /** The remote site left its node (or its node is gone). */
  removeRemotePeer(siteId: string, cause: LeaveCause = 'left'): void {
    const peer = this.#bySite.get(siteId);
    if (peer?.remote) this.#remove(peer, cause);
  }

  /** Origin: a remote site's state as its node reports it (it joined, its microphone, its mode). */
  reportRemoteSite(info: SiteInfo, node: string): void {
    if (this.#closed) return;
    if (!info.online) return this.removeRemotePeer(info.siteId);
    const peer = this.addRemotePeer(info, node);
    if (!peer.remote) return;
    peer.reported = { micMuted: info.micMuted, audioOnly: info.audioOnly };
    this.#broadcastSiteState(peer);
  }

  /** Origin: a remote site's hand, kept in this room's queue like a local one's. */
  remoteHand(siteId: string, raised: boolean): void {
    const peer = this.#bySite.get(siteId);
    if (!peer?.remote || peer.role !== 'participant') return;
    if (!raised) return this.lowerHand(peer);
    if (this.#floor !== siteId) this.raiseHand(peer);
  }

  /** A producer piped from another node becomes `peer`'s (a remote peer) in this room's policy. */
  adoptProducer(peer: Peer, producer: ms.Producer, source: MediaSource): void {
    if (this.#closed || peer.closed) {
      producer.close();
      return;
    }
    peer.adopt(producer, source);
    this.#owners.set(producer.id, { peer, source });
    producer.observer.once('close', () => this.#forget(producer.id));
    this.#reconcileAudienceOf(peer);
    // On the origin, what arrives may be the floor holder's media the other edges wait for.
    this.#cascade?.changed();
  }

  /** Makes a producer of this room consumable on the primary router, where the pipes to other nodes are. */
  ensureOnPrimary(producerId: string): Promise<void> {
    return this.#ensureOn(producerId, this.#primary.router);
  }

  /** Origin: what every site receives, wherever it is — the hosts' media, the floor holder's, the spotlighted camera. */
  published(): { peer: Peer; source: MediaSource; producer: ms.Producer }[] {
    const out: { peer: Peer; source: MediaSource; producer: ms.Producer }[] = [];
    const add = (peer: Peer | undefined, source: MediaSource) => {
      const producer = peer?.producerOf(source);
      if (peer && producer && !out.some((o) => o.producer === producer)) out.push({ peer, source, producer });
    };
    for (const host of this.#hosts) {
      if (host.remote) continue;
      add(host, 'camera');
      add(host, 'microphone');
      add(host, 'screen');
    }
    const site = (siteId: string | null) => (siteId ? this.#bySite.get(siteId) : undefined);
    add(site(this.#floor), 'camera');
    add(site(this.#floor), 'microphone');
    add(site(this.#spotlight), 'camera');
    return out;
  }

  /** Origin: the sites whose media this room's hosts want (their grid pages, the floor, the spotlight, the active speaker). */
  wantedSites(): Set<string> {
    const out = new Set<string>();
    for (const host of this.#hosts) if (!host.remote) for (const p of this.#page(host)) out.add(p.siteId);
    for (const siteId of [this.#floor, this.#spotlight, this.#activeSpeaker]) if (siteId) out.add(siteId);
    return out;
  }

  /** Edge: the local sites' states, sent to a newly linked origin. */
  localSiteInfos(): SiteInfo[] {
    return this.#roster.filter((p) => !p.remote).map((p) => this.#siteInfo(p));
  }

  /** Edge: the origin's room-wide state, shown to this node's sites. */
  applyNote(note: RelayedNote): void {
    if (this.#closed) return;
    const local = (siteId: string | null) => {
      const peer = siteId ? this.#bySite.get(siteId) : undefined;
      return peer && !peer.remote ? peer : undefined;
    };
    switch (note.type) {
      case 'floorChanged': {
        const before = this.#floor;
        if (before === note.data.siteId) return;
        this.#floor = note.data.siteId;
        const former = local(before);
        const mic = former?.producerOf('microphone');
        if (mic && !mic.closed) mic.pause().catch(() => {});
        const holder = local(note.data.siteId);
        if (holder && this.#handRaised.has(holder.siteId)) this.#dropHand(holder.siteId);
        this.#broadcast(note);
        if (former) this.#broadcastSiteState(former);
        if (holder) this.#broadcastSiteState(holder);
        this.#cascade?.changed();
        // Every other node waits for the holder's media to reach the origin, and the pipe's
        // requests would queue at the worker behind this node's sites' consumers: pipe first.
        const piping = holder ? this.#cascade?.floorHeld?.(holder.siteId) : undefined;
        if (piping) void piping.finally(() => this.#reconcileAll());
        else this.#reconcileAll();
        // The holder's state says its microphone is open once it is (as giveFloor on the origin).
        const opening = holder?.producerOf('microphone')?.resume() ?? Promise.resolve();
        opening.then(
          () => holder && !holder.closed && this.#floor === holder.siteId && this.#broadcastSiteState(holder),
          (err: unknown) => this.log.warn({ err }, 'could not open the floor holder’s microphone'),
        );
        return;
      }
      case 'spotlightChanged':
        this.#setSpotlight(note.data.siteId);
        this.#reconcileAll();
        return;
      case 'handQueue': {
        const before = new Set(this.#handRaised);
        this.#handQueue.splice(0, this.#handQueue.length, ...note.data.siteIds);
        this.#handRaised.clear();
        for (const siteId of note.data.siteIds) this.#handRaised.add(siteId);
        this.#broadcast(note);
        for (const siteId of new Set([...before, ...note.data.siteIds])) {
          const peer = local(siteId);
          if (peer && before.has(siteId) !== this.#handRaised.has(siteId)) this.#broadcastSiteState(peer);
        }
        return;
      }
    }
  }

  /** Edge: the host, on the origin, muted or removed a site of this node. */
  async applyCommand(siteId: string, action: 'mute' | 'kick'): Promise<void> {
    const peer = this.#bySite.get(siteId);
    if (!peer || peer.remote || peer.role !== 'participant') return;
    if (action === 'kick') {
      peer.send({ type: 'kicked', data: { reason: 'host' } });
      this.#remove(peer, 'kicked');
      return;
    }
    await peer.producerOf('microphone')?.pause();
    this.#broadcastSiteState(peer);
  }

  /** Edge: the host ended the meeting on the origin. */
  endFromOrigin(): void {
    if (this.#closed) return;
    this.#broadcast({ type: 'meetingEnded', data: {} });
    this.close('meeting-ended');
  }

  /** Edge: the origin is gone; its state with it, until a link to the next origin brings it back. */
  forgetOrigin(): void {
    for (const peer of [...this.#peers.values()]) if (peer.remote) this.#remove(peer, 'server-failure');
    if (this.#closed) return;
    if (this.#floor) this.applyNote({ type: 'floorChanged', data: { siteId: null } });
    if (this.#spotlight) this.applyNote({ type: 'spotlightChanged', data: { siteId: null } });
    if (this.#handQueue.length) this.applyNote({ type: 'handQueue', data: { siteIds: [] } });
  }

  // -------------------------------------------------------------------------------------------
  // Failure and close
  // -------------------------------------------------------------------------------------------

  /**
   * A worker died. If it carried the primary router the whole room must rejoin; if it carried an
   * extra router only the sites on it must.
   */
  workerDied(pid: number): void {
    if (this.#closed) return;
    const dead = this.#routers.filter((r) => r.slot.worker.pid === pid);
    if (dead.length === 0) return;
    const rejoin: ServerNotification = { type: 'rejoin', data: { reason: 'server-failure' } };
    if (dead.includes(this.#primary)) {
      this.log.error({ pid }, 'worker under the room died; everyone rejoins');
      this.#broadcast(rejoin);
      this.close('server-failure');
      return;
    }
    this.log.error({ pid }, 'worker under part of the room died; its sites rejoin');
    const deadRouters = new Set(dead.map((r) => r.router));
    for (const r of dead) this.#routers.splice(this.#routers.indexOf(r), 1);
    for (const peer of [...this.#peers.values()]) {
      if (!deadRouters.has(peer.router)) continue;
      peer.send(rejoin);
      this.#remove(peer, 'server-failure');
    }
  }

  /** Closes every peer (reporting `cause`) and then the routers. Idempotent. */
  close(cause: LeaveCause): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#floor) this.#endFloor();
    for (const peer of [...this.#peers.values()]) {
      this.#peers.delete(peer.connectionId);
      peer.close();
      if (!peer.remote) this.events.peerClosed(peer, cause);
    }
    this.#remoteCount = 0;
    this.#bySite.clear();
    this.#hosts.clear();
    this.#roster.length = 0;
    this.#audience.clear();
    this.activeSpeakerObserver.close();
    for (const { router } of this.#routers) router.close();
    this.#routers.length = 0;
    this.#pipes.clear();
    this.log.info({ cause }, 'room closed');
    this.#cascade?.roomClosed(cause);
    this.events.closed(this);
  }
}
