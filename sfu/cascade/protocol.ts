/**
 * The cascade protocol: what SFU nodes say to each other about one meeting.
 *
 * An edge node (one with sites of a meeting whose host is elsewhere) opens one WebSocket to the
 * meeting's origin node (the host's) per meeting, authenticated by the shared secret
 * (channel.ts). Every frame is JSON `{ id?, type, data }` like the browser protocol: requests
 * carry an `id` the reply echoes; the rest are notifications. Both ends validate every frame on
 * arrival with these schemas; a peer that sends anything else is closed.
 *
 * Media crosses on one PipeTransport pair per link (SRTP and RTX on): `produce` describes a
 * producer the sender consumed on its pipe transport, which the receiver creates on its own
 * pipe transport under the same id.
 *
 *   edge → origin   link (request), site, siteLeft, hand, produce, unproduce, producerPaused
 *   origin → edge   produce, unproduce, producerPaused, want, note, command, ended
 */
import { z } from 'zod';
import { MediaKind, MediaSource, Role, RtpParameters, SiteInfo } from '../protocol.ts';

const Uuid = z.uuid();
const NodeId = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/);

/** One side of a PipeTransport pair. */
export const PipeEndpoint = z.object({
  ip: z.union([z.ipv4(), z.ipv6()]),
  port: z.number().int().min(1).max(65535),
  srtpParameters: z.object({
    cryptoSuite: z.enum(['AEAD_AES_256_GCM', 'AEAD_AES_128_GCM', 'AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32']),
    keyBase64: z.string().min(16).max(200),
  }),
});
export type PipeEndpoint = z.infer<typeof PipeEndpoint>;

/** A site as the other node must know it to place its media in the policy. */
export const RemoteSite = z.object({
  siteId: Uuid,
  siteName: z.string().min(1).max(300),
  role: Role,
});
export type RemoteSite = z.infer<typeof RemoteSite>;

/** A producer crossing the pipe: the receiver creates it under the same id. */
export const PipedProducer = z.object({
  producerId: Uuid,
  site: RemoteSite,
  source: MediaSource,
  kind: MediaKind,
  rtpParameters: RtpParameters,
  paused: z.boolean(),
});
export type PipedProducer = z.infer<typeof PipedProducer>;

export const LinkRequest = z.object({ meetingId: Uuid, nodeId: NodeId, pipe: PipeEndpoint });
export const LinkReply = z.object({
  pipe: PipeEndpoint,
  /** The room's state now, so the edge's sites see it at once. */
  floorHolder: Uuid.nullable(),
  spotlight: Uuid.nullable(),
  handQueue: z.array(Uuid).max(10_000),
});
export type LinkReply = z.infer<typeof LinkReply>;

/** Room-wide notes the origin relays to every edge, which shows them to its sites. */
export const RelayedNote = z.discriminatedUnion('type', [
  z.object({ type: z.literal('floorChanged'), data: z.object({ siteId: Uuid.nullable() }) }),
  z.object({ type: z.literal('spotlightChanged'), data: z.object({ siteId: Uuid.nullable() }) }),
  z.object({ type: z.literal('handQueue'), data: z.object({ siteIds: z.array(Uuid).max(10_000) }) }),
]);
export type RelayedNote = z.infer<typeof RelayedNote>;

const frame = <T extends string, D extends z.ZodType>(type: T, data: D) => z.object({ type: z.literal(type), data });

/** Frames an edge sends to the origin. */
export const EdgeFrame = z.discriminatedUnion('type', [
  z.object({ id: z.number().int().nonnegative(), type: z.literal('link'), data: LinkRequest }),
  frame('site', SiteInfo),
  frame('siteLeft', z.object({ siteId: Uuid })),
  frame('hand', z.object({ siteId: Uuid, raised: z.boolean() })),
  frame('produce', PipedProducer),
  frame('unproduce', z.object({ producerId: Uuid })),
  frame('producerPaused', z.object({ producerId: Uuid, paused: z.boolean() })),
]);
export type EdgeFrame = z.infer<typeof EdgeFrame>;

/** Frames the origin sends to an edge. */
export const OriginFrame = z.discriminatedUnion('type', [
  z.object({
    id: z.number().int().nonnegative(),
    type: z.literal('response'),
    ok: z.boolean(),
    data: LinkReply.optional(),
    error: z.string().max(500).optional(),
  }),
  frame('produce', PipedProducer),
  frame('unproduce', z.object({ producerId: Uuid })),
  frame('producerPaused', z.object({ producerId: Uuid, paused: z.boolean() })),
  /** The sites whose media the origin needs from this edge (its hosts' pages, floor, spotlight): the whole set each time. */
  frame('want', z.object({ siteIds: z.array(Uuid).max(10_000) })),
  frame('note', RelayedNote),
  /** The host acted on a site of this edge. */
  frame('command', z.object({ siteId: Uuid, action: z.enum(['mute', 'kick']) })),
  frame('ended', z.object({})),
]);
export type OriginFrame = z.infer<typeof OriginFrame>;

/** Close codes of the cascade socket. */
export const CascadeCloseCode = {
  protocolError: 4400,
  unauthorized: 4401,
  meetingOver: 4410,
  shutdown: 1001,
} as const;
