/**
 * The signaling protocol between a browser (host hall or commune site) and the SFU.
 *
 * Shared by the server (sfu/signaling.ts) and the browser code in web/, so it imports only zod:
 * no Node modules, no mediasoup. Every frame is JSON `{ id?, type, data }`:
 *  - client → server: requests, each with an `id` the reply echoes;
 *  - server → client: `response` frames (`ok: true, data` or `ok: false, error`) and
 *    notifications (no id).
 * Media descriptions (RTP parameters, ICE/DTLS) are checked here only for shape; mediasoup
 * validates their content and its refusals come back as `bad-request`.
 */
import { z } from 'zod';

// ---------------------------------------------------------------------------------------------
// Shared pieces
// ---------------------------------------------------------------------------------------------

export const errorCodes = [
  'bad-request', // malformed frame or parameters
  'unauthorized', // no valid credentials (unknown or expired token, not signed in)
  'forbidden', // authenticated, but not allowed (wrong meeting, host-only action)
  'not-found', // the transport/producer/consumer/site named does not exist
  'invalid-state', // the request does not fit the current state (not joined yet, already joined)
  'rate-limited', // too many frames (the socket is then closed) or too many hand changes (it is not)
  'capacity', // this node holds as many sites as it may (SFU_MAX_SITES); try again later
  'console-open', // another console of this meeting is open: join again with `takeOver` to replace it
  'wrong-node', // this site is placed on another live node: ask where (/api/join/node) and connect there
  'internal', // the server failed; the message leaks nothing
] as const;
export const ErrorCode = z.enum(errorCodes);
export type ErrorCode = z.infer<typeof ErrorCode>;

export const RequestId = z.union([z.number().int().nonnegative(), z.string().min(1).max(64)]);
export type RequestId = z.infer<typeof RequestId>;

const Uuid = z.uuid();
const Id = z.string().min(1).max(100);

/** Where a media track comes from; the policy (who sees what) depends on it. */
export const MediaSource = z.enum(['camera', 'microphone', 'screen']);
export type MediaSource = z.infer<typeof MediaSource>;
export const MediaKind = z.enum(['audio', 'video']);
export type MediaKind = z.infer<typeof MediaKind>;
export const Role = z.enum(['host', 'participant']);
export type Role = z.infer<typeof Role>;

const Json = z.record(z.string(), z.unknown());

export const RtpCodec = z.looseObject({
  kind: MediaKind.optional(),
  mimeType: z.string().min(1).max(100),
  clockRate: z.number().int().positive(),
  channels: z.number().int().positive().optional(),
  payloadType: z.number().int().min(0).max(127).optional(),
  preferredPayloadType: z.number().int().min(0).max(127).optional(),
  parameters: Json.optional(),
  rtcpFeedback: z.array(z.looseObject({ type: z.string(), parameter: z.string().optional() })).optional(),
});
export const RtpCapabilities = z.looseObject({
  codecs: z.array(RtpCodec).max(100).optional(),
  headerExtensions: z
    .array(z.looseObject({ uri: z.string() }))
    .max(100)
    .optional(),
});
export type RtpCapabilities = z.infer<typeof RtpCapabilities>;
export const RtpParameters = z.looseObject({
  mid: z.string().max(100).optional(),
  codecs: z.array(RtpCodec).min(1).max(100),
  headerExtensions: z
    .array(z.looseObject({ uri: z.string(), id: z.number().int() }))
    .max(100)
    .optional(),
  encodings: z.array(Json).max(10).optional(),
  rtcp: Json.optional(),
});
export type RtpParameters = z.infer<typeof RtpParameters>;
export const DtlsParameters = z.looseObject({
  role: z.enum(['auto', 'client', 'server']).optional(),
  fingerprints: z
    .array(z.object({ algorithm: z.string().max(50), value: z.string().max(200) }))
    .min(1)
    .max(10),
});
export type DtlsParameters = z.infer<typeof DtlsParameters>;
export const IceParameters = z.looseObject({ usernameFragment: z.string(), password: z.string(), iceLite: z.boolean().optional() });
export const IceCandidate = z.looseObject({
  foundation: z.string(),
  priority: z.number(),
  ip: z.string(),
  protocol: z.enum(['udp', 'tcp']),
  port: z.number().int(),
  type: z.string(),
  tcpType: z.string().optional(),
});

/** A TURN server and the time-limited credentials minted for this join (RTCIceServer's shape). */
export const IceServer = z.object({
  urls: z
    .array(
      z
        .string()
        .regex(/^turns?:/)
        .max(500),
    )
    .min(1)
    .max(10),
  username: z.string().max(300),
  credential: z.string().max(300),
});
export type IceServer = z.infer<typeof IceServer>;

/** What the host's screen shows about one site. */
export const SiteInfo = z.object({
  siteId: Uuid,
  siteName: z.string(),
  role: Role,
  online: z.boolean(),
  micMuted: z.boolean(),
  handRaised: z.boolean(),
  hasFloor: z.boolean(),
  spotlighted: z.boolean(),
  /** The site asked for sound only (a weak line): it sends and receives no video. */
  audioOnly: z.boolean(),
});
export type SiteInfo = z.infer<typeof SiteInfo>;

// ---------------------------------------------------------------------------------------------
// Client → server requests
// ---------------------------------------------------------------------------------------------

const req = <T extends string, D extends z.ZodType>(type: T, data: D) => z.object({ id: RequestId, type: z.literal(type), data });
const Empty = z.object({}).optional().default({});

export const ClientRequest = z.discriminatedUnion('type', [
  /** First message. A commune site sends its invite's join token; the host relies on its sign-in cookie. */
  req(
    'join',
    z.object({
      meetingId: Uuid.optional(),
      joinToken: z.string().min(1).max(2000).optional(),
      /** One per browser tab: a tab's own rejoin replaces its earlier connection without asking. */
      clientId: z.string().min(8).max(64).optional(),
      /** The host confirmed taking over a console that is open elsewhere. */
      takeOver: z.boolean().optional(),
    }),
  ),
  /**
   * Instead of `join`: a rehearsal (the device check from the invitation's readiness link, any
   * time before the meeting). The site sends its camera and microphone to a router of its own
   * for a few seconds and asks `rehearsalStats` what arrived; it is not in the meeting's room,
   * so no host sees it, nothing is recorded as attendance, and no meeting request is served.
   */
  req('rehearse', z.object({ readinessToken: z.string().min(1).max(200) })),
  /** During a rehearsal: what the SFU received of the site's media so far (the line's loss). */
  req('rehearsalStats', Empty),
  /** The device's capabilities, sent once mediasoup-client's Device is loaded; consumption starts after it. */
  req('setRtpCapabilities', z.object({ rtpCapabilities: RtpCapabilities })),
  req('createTransport', z.object({ direction: z.enum(['send', 'recv']) })),
  req('connectTransport', z.object({ transportId: Id, dtlsParameters: DtlsParameters })),
  req('restartIce', z.object({ transportId: Id })),
  req('produce', z.object({ transportId: Id, kind: MediaKind, source: MediaSource, rtpParameters: RtpParameters })),
  req('closeProducer', z.object({ producerId: Id })),
  /** The client pausing/resuming its own track; a site cannot unmute its microphone without the floor. */
  req('setProducerPaused', z.object({ producerId: Id, paused: z.boolean() })),
  /** The client has set up the track: consumers are created paused and resumed by this. */
  req('resumeConsumer', z.object({ consumerId: Id })),
  req('raiseHand', Empty),
  req('lowerHand', Empty),
  /**
   * A site on a weak line stops all video both ways (and back with false): the server closes its
   * camera, refuses a new one, and sends it no video until it switches back.
   */
  req('setAudioOnly', z.object({ audioOnly: z.boolean() })),
  req('leave', Empty),
  req('ping', Empty),
  // host controls
  req('giveFloor', z.object({ siteId: Uuid })),
  req('revokeFloor', Empty),
  req('muteSite', z.object({ siteId: Uuid })),
  req('spotlight', z.object({ siteId: Uuid.nullable() })),
  req('kick', z.object({ siteId: Uuid })),
  req('endMeeting', Empty),
  /** Which page of sites the host's grid shows (sites ordered by name); their cameras at the lowest layer. */
  req('setPage', z.object({ page: z.number().int().min(0), pageSize: z.number().int().min(1).max(100) })),
]);
export type ClientRequest = z.infer<typeof ClientRequest>;
export type ClientRequestType = ClientRequest['type'];
export type RequestData<T extends ClientRequestType> = Extract<ClientRequest, { type: T }>['data'];
export const hostOnlyRequests = new Set<ClientRequestType>(['giveFloor', 'revokeFloor', 'muteSite', 'spotlight', 'kick', 'endMeeting', 'setPage']);
/** What a rehearsing connection may ask: a send transport, its media, the stats, and goodbye. */
export const rehearsalRequests = new Set<ClientRequestType>(['ping', 'createTransport', 'connectTransport', 'produce', 'rehearsalStats', 'leave']);

// ---------------------------------------------------------------------------------------------
// Replies: the data of a successful response, per request type
// ---------------------------------------------------------------------------------------------

const Ok = z.object({});
export const ResponseData = {
  join: z.object({
    connectionId: Id,
    meetingId: Uuid,
    siteId: Uuid,
    siteName: z.string(),
    role: Role,
    routerRtpCapabilities: RtpCapabilities,
    floorHolder: Uuid.nullable(),
    spotlight: Uuid.nullable(),
    handQueue: z.array(Uuid),
    /** TURN servers for networks that block the SFU's ports; empty when none is configured. */
    iceServers: z.array(IceServer).max(4),
  }),
  rehearse: z.object({
    meetingId: Uuid,
    siteId: Uuid,
    siteName: z.string(),
    routerRtpCapabilities: RtpCapabilities,
    iceServers: z.array(IceServer).max(4),
    /** The rehearsal ends (the socket closes normally) after this long. */
    maxDurationMs: z.number().int().positive(),
  }),
  rehearsalStats: z.object({
    /** RTP packets the SFU received from the site, over all its streams. */
    packetsReceived: z.number().int().min(0),
    /** Packets the SFU saw missing (sequence gaps not repaired). */
    packetsLost: z.number().int().min(0),
    /** packetsLost out of all expected, 0 when nothing arrived. */
    lossPercent: z.number().min(0).max(100),
    /** The media path's round trip as the SFU measured it from RTCP, when it could. */
    rttMs: z.number().min(0).nullable(),
  }),
  setRtpCapabilities: Ok,
  createTransport: z.object({
    transportId: Id,
    iceParameters: IceParameters,
    iceCandidates: z.array(IceCandidate),
    dtlsParameters: DtlsParameters,
  }),
  connectTransport: Ok,
  restartIce: z.object({ iceParameters: IceParameters }),
  produce: z.object({ producerId: Id, paused: z.boolean() }),
  closeProducer: Ok,
  setProducerPaused: Ok,
  resumeConsumer: Ok,
  raiseHand: z.object({ position: z.number().int().min(1) }),
  lowerHand: Ok,
  setAudioOnly: Ok,
  leave: Ok,
  ping: z.object({ serverTime: z.number() }),
  giveFloor: Ok,
  revokeFloor: Ok,
  muteSite: Ok,
  spotlight: Ok,
  kick: Ok,
  endMeeting: Ok,
  setPage: z.object({ siteIds: z.array(Uuid), total: z.number().int().min(0) }),
} satisfies { [T in ClientRequestType]: z.ZodType };
export type ResponseDataOf<T extends ClientRequestType> = z.infer<(typeof ResponseData)[T]>;

export const ErrorBody = z.object({ code: ErrorCode, message: z.string() });
export type ErrorBody = z.infer<typeof ErrorBody>;

export const ServerResponse = z.discriminatedUnion('ok', [
  z.object({ type: z.literal('response'), id: RequestId, ok: z.literal(true), data: z.unknown() }),
  /** `id` is null when the frame was too broken to carry one. */
  z.object({ type: z.literal('response'), id: RequestId.nullable(), ok: z.literal(false), error: ErrorBody }),
]);
export type ServerResponse = z.infer<typeof ServerResponse>;

// ---------------------------------------------------------------------------------------------
// Server → client notifications
// ---------------------------------------------------------------------------------------------

const note = <T extends string, D extends z.ZodType>(type: T, data: D) => z.object({ type: z.literal(type), data });

export const ServerNotification = z.discriminatedUnion('type', [
  note(
    'newConsumer',
    z.object({
      consumerId: Id,
      producerId: Id,
      kind: MediaKind,
      source: MediaSource,
      siteId: Uuid,
      rtpParameters: RtpParameters,
      producerPaused: z.boolean(),
    }),
  ),
  note('consumerClosed', z.object({ consumerId: Id })),
  note('consumerPaused', z.object({ consumerId: Id })),
  note('consumerResumed', z.object({ consumerId: Id })),
  /** Who may speak to all sites; null when nobody holds the floor. */
  note('floorChanged', z.object({ siteId: Uuid.nullable() })),
  note('spotlightChanged', z.object({ siteId: Uuid.nullable() })),
  /** Raised hands, first come first served. */
  note('handQueue', z.object({ siteIds: z.array(Uuid) })),
  /** A site's state: to the host for every site, and to each site about itself. */
  note('siteState', SiteInfo),
  note('activeSpeaker', z.object({ siteId: Uuid.nullable() })),
  note('kicked', z.object({ reason: z.enum(['host', 'revoked', 'expired', 'replaced']) })),
  note('meetingEnded', z.object({})),
  /** The media server under this meeting failed: reconnect and join again. */
  /** Connect again (asking where first): the server failed, or the operator moved this node's sites elsewhere. */
  note('rejoin', z.object({ reason: z.enum(['server-failure', 'maintenance']) })),
  note('shutdown', z.object({})),
]);
export type ServerNotification = z.infer<typeof ServerNotification>;
export type ServerNotificationType = ServerNotification['type'];

export const ServerMessage = z.union([ServerResponse, ServerNotification]);
export type ServerMessage = z.infer<typeof ServerMessage>;

/** WebSocket close codes the server uses (4000-4999 are application codes). */
export const CloseCode = {
  normal: 1000,
  /** The SFU is restarting (worker died, shutdown): reconnect after a short delay. */
  serviceRestart: 1012,
  unauthorized: 4401,
  kicked: 4403,
  meetingEnded: 4410,
  heartbeatTimeout: 4408,
  /** More frames than the connection's rate and queue allow. */
  rateLimited: 4429,
  /** The browser does not read what the server sends; it may reconnect. */
  tooSlow: 4413,
} as const;

/** For switches over protocol unions: a compile error when a case is missing. */
export function assertNever(value: never): never {
  throw new Error(`unhandled protocol variant: ${JSON.stringify(value)}`);
}
