/**
 * The SFU's configuration: a zod schema over the environment variables it understands, and the
 * structured config the rest of sfu/ receives. The app composes this schema with the others,
 * parses process.env once at start-up, and hands `sfuConfigFromEnv(env)` to createSfu(); no
 * other module in sfu/ reads process.env.
 *
 *   const Env = z.object({ ...SfuEnv.shape, ...ApiEnv.shape });
 *   const env = Env.parse(process.env);            // print issues and exit non-zero on failure
 *   const sfu = await createSfu({ config: sfuConfigFromEnv(env), ... });
 */
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import type { TurnConfig } from './turn.ts';

const port = z.coerce.number().int().min(1).max(65535);
const ip = z.union([z.ipv4(), z.ipv6()]);
/** An IP, or a DNS name: a name is resolved by the server (sfu/announced-address.ts), never sent to browsers. */
const address = z.union([ip, z.hostname()]);

/**
 * Socket buffers for a 170-site room. The worker holding such a room reads every site's upload
 * on one WebRtcServer socket: 170 × (a ~1.2 Mbit/s simulcast camera + a microphone) is about
 * 30,000 packets and 25 MB/s, which the kernel charges at roughly twice the payload (skb
 * overhead). Linux doubles the requested size for that overhead, so 4 MiB gives 8 MiB of
 * buffer: about 120 ms during which a busy or descheduled worker loses nothing. The sending
 * side carries the host's picture to the same 170 sites, so it gets the same. The kernel caps
 * both at net.core.rmem_max / wmem_max; sfu/socket-buffers.ts warns at start-up when it does.
 */
const DEFAULT_SOCKET_BUFFER_BYTES = 4 * 1024 * 1024;
const bufferBytes = z.coerce
  .number()
  .int()
  .min(64 * 1024)
  .max(1024 * 1024 * 1024);

/** turn:host:port?transport=udp|tcp or turns:host:port?transport=tcp, comma-separated. */
const turnUrls = z
  .string()
  .transform((s) =>
    s
      .split(',')
      .map((u) => u.trim())
      .filter(Boolean),
  )
  .pipe(
    z
      .array(z.string().regex(/^turns?:[^\s?]+(\?transport=(udp|tcp))?$/, 'a turn: or turns: URL'))
      .min(1)
      .max(10),
  );

export const SfuEnv = z
  .object({
    /** mediasoup workers (one process, one core each). */
    SFU_WORKERS: z.coerce
      .number()
      .int()
      .min(1)
      .max(64)
      .default(() => os.availableParallelism()),
    /** Local address the media sockets bind to. */
    SFU_LISTEN_IP: ip.default('127.0.0.1'),
    /** Address announced to browsers when they reach us through NAT or a public IP. */
    SFU_ANNOUNCED_ADDRESS: address.optional(),
    /** How often a DNS name in SFU_ANNOUNCED_ADDRESS is resolved again. */
    SFU_ANNOUNCED_ADDRESS_REFRESH_SECONDS: z.coerce.number().int().min(1).max(86_400).default(60),
    /** Worker i's WebRtcServer listens on UDP and TCP port SFU_WEBRTC_PORT_BASE + i. */
    SFU_WEBRTC_PORT_BASE: port.default(40000),
    /** Ports for PlainTransports and the pipe transports between workers (their listen infos' portRange). */
    SFU_RTC_MIN_PORT: port.default(41000),
    SFU_RTC_MAX_PORT: port.default(41999),
    /** SO_RCVBUF / SO_SNDBUF of the WebRtcServer, PlainTransport and PipeTransport sockets. */
    SFU_RECV_BUFFER_BYTES: bufferBytes.default(DEFAULT_SOCKET_BUFFER_BYTES),
    SFU_SEND_BUFFER_BYTES: bufferBytes.default(DEFAULT_SOCKET_BUFFER_BYTES),
    /** Above this many consumers on a worker, a meeting spreads new sites to another worker. */
    SFU_MAX_CONSUMERS_PER_WORKER: z.coerce.number().int().min(1).default(500),
    /** TURN servers offered to every browser in the join reply (coturn beside hoinghi). */
    TURN_URLS: turnUrls.optional(),
    /** coturn's static-auth-secret: the server mints time-limited credentials from it. */
    TURN_SECRET: z.string().min(16).optional(),
    /** How long a minted TURN credential lasts (a meeting lasts at most 12 hours; a rejoin mints anew). */
    TURN_CREDENTIAL_TTL_SECONDS: z.coerce.number().int().min(60).max(86_400).default(43_200),
    /**
     * Sites this node (one process) admits across its meetings; the next one is refused with
     * `capacity` instead of degrading everyone. A meeting's host hall is always admitted: without
     * it the meeting is lost for every site already in. The default holds a national meeting
     * (3,356 sites) on one node; lower it to what the machine's uplink really carries.
     */
    SFU_MAX_SITES: z.coerce.number().int().min(1).default(4000),
    /**
     * This node in the shared registry (api/nodes): its id, the signaling URL browsers placed on
     * it open (default: PUBLIC_URL's /ws), how often it heartbeats, and how long without a
     * heartbeat before it is out of placement and declared dead. Its capacity is SFU_MAX_SITES.
     */
    SFU_NODE_ID: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lower-case letters, digits and dashes, at most 63')
      .default('main'),
    SFU_NODE_URL: z
      .url({ protocol: /^wss?$/ })
      .refine((u) => URL.canParse(u) && new URL(u).pathname.endsWith('/ws'), 'a ws:// or wss:// URL ending in /ws')
      .optional(),
    /**
     * The secret every node of a cascade shares (≥ 32 characters): nodes sign their links with
     * it (sfu/cascade/channel.ts). Unset: this node accepts no link and makes none — a single node.
     */
    SFU_CASCADE_SECRET: z.string().min(32).optional(),
    /** How often a room asks which node is its meeting's origin (the failover's reaction time). */
    SFU_CASCADE_POLL_MS: z.coerce.number().int().min(100).max(60_000).default(2000),
    SFU_NODE_HEARTBEAT_MS: z.coerce.number().int().min(100).max(60_000).default(2000),
    SFU_NODE_DEAD_AFTER_MS: z.coerce.number().int().min(300).max(600_000).default(6000),
    SFU_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /** How often each connection's line quality is sampled for attendance. */
    SFU_QUALITY_INTERVAL_MS: z.coerce.number().int().min(500).default(5000),
    /** WebSocket heartbeat: a socket silent for two intervals is dropped. */
    SFU_HEARTBEAT_INTERVAL_MS: z.coerce.number().int().min(100).default(10_000),
    /**
     * Limits on the signaling endpoint: nothing a stranger sends may exhaust the process. The
     * per-address default is in the hundreds because a province's communes may all sit behind
     * one provincial NAT; tests and benches raise or lower them here.
     */
    SFU_WS_MAX_CONNECTIONS: z.coerce.number().int().min(1).default(6000),
    SFU_WS_MAX_CONNECTIONS_PER_ADDRESS: z.coerce.number().int().min(1).default(500),
    /** Frames a connection may send per second on average, and in one burst. */
    SFU_WS_MESSAGES_PER_SECOND: z.coerce.number().min(0.1).default(50),
    SFU_WS_MESSAGE_BURST: z.coerce.number().int().min(1).default(200),
    /**
     * Frames waiting for their turn on one connection; one more and it is closed. (A host paging
     * its grid resumes up to 100 consumers at once; the queue also holds at most 512 KiB.)
     */
    SFU_WS_QUEUE_LIMIT: z.coerce.number().int().min(1).default(300),
    /** Bytes queued towards a browser that does not read; above this it is closed. */
    SFU_WS_MAX_BUFFERED_BYTES: z.coerce
      .number()
      .int()
      .min(64 * 1024)
      .default(4 * 1024 * 1024),
    /** A socket that has not joined by then is closed. */
    SFU_WS_JOIN_TIMEOUT_MS: z.coerce.number().int().min(100).default(15_000),
    /**
     * Hand raises and lowers per site and minute (burst: a quarter of it, at least 2): each one
     * is broadcast to every site, so one site must not make the server send to N sites per frame.
     */
    SFU_HAND_CHANGES_PER_MINUTE: z.coerce.number().int().min(1).default(20),
    /** A prepared worker binary (see `npm run setup`). */
    MEDIASOUP_WORKER_BIN: z.string().min(1).optional(),
    HOINGHI_CACHE_DIR: z.string().min(1).optional(),
    XDG_CACHE_HOME: z.string().min(1).optional(),
  })
  .refine((e) => e.SFU_RTC_MIN_PORT <= e.SFU_RTC_MAX_PORT, {
    message: 'SFU_RTC_MIN_PORT must not exceed SFU_RTC_MAX_PORT',
    path: ['SFU_RTC_MIN_PORT'],
  })
  .refine((e) => e.SFU_WEBRTC_PORT_BASE + e.SFU_WORKERS - 1 < e.SFU_RTC_MIN_PORT || e.SFU_WEBRTC_PORT_BASE > e.SFU_RTC_MAX_PORT, {
    message: 'the WebRtcServer ports (base .. base+workers-1) must lie outside SFU_RTC_MIN_PORT..SFU_RTC_MAX_PORT',
    path: ['SFU_WEBRTC_PORT_BASE'],
  })
  .refine((e) => e.SFU_NODE_DEAD_AFTER_MS >= 2 * e.SFU_NODE_HEARTBEAT_MS, {
    message: 'SFU_NODE_DEAD_AFTER_MS must be at least twice SFU_NODE_HEARTBEAT_MS (one late heartbeat is not a death)',
    path: ['SFU_NODE_DEAD_AFTER_MS'],
  })
  // one without the other is a mistake worth stopping for
  .refine((e) => (e.TURN_URLS === undefined) === (e.TURN_SECRET === undefined), {
    message: 'TURN_URLS and TURN_SECRET must be set together',
    path: ['TURN_SECRET'],
  });
export type SfuEnv = z.infer<typeof SfuEnv>;

export interface SfuConfig {
  numWorkers: number;
  listenIp: string;
  announcedAddress: string | undefined;
  announcedRefreshMs: number;
  turn: TurnConfig | undefined;
  webRtcPortBase: number;
  rtcMinPort: number;
  rtcMaxPort: number;
  recvBufferBytes: number;
  sendBufferBytes: number;
  maxConsumersPerWorker: number;
  maxSites: number;
  node: NodeIdentity;
  /** Present when this node cascades with others (SFU_CASCADE_SECRET). */
  cascade: { secret: string; pollMs: number } | undefined;
  logLevel: SfuEnv['SFU_LOG_LEVEL'];
  qualityIntervalMs: number;
  heartbeatIntervalMs: number;
  limits: SignalingLimits;
  workerBin: string | undefined;
  /** Where `npm run setup` caches the worker binary. */
  cacheDir: string;
}

/** This process as a node of the registry (see SfuEnv's SFU_NODE_*). */
export interface NodeIdentity {
  id: string;
  /** Where browsers placed on this node open their signaling socket. */
  signalingUrl: string;
  heartbeatMs: number;
  deadAfterMs: number;
}

/** See SfuEnv for what each limit means. */
export interface SignalingLimits {
  maxConnections: number;
  maxConnectionsPerAddress: number;
  messagesPerSecond: number;
  messageBurst: number;
  queueLimit: number;
  maxBufferedBytes: number;
  joinTimeoutMs: number;
  handChangesPerMinute: number;
}

/**
 * How a transport that is not on the WebRtcServer listens (PlainTransports, the PipeTransports
 * between workers): UDP on the listen IP, a port from SFU_RTC_MIN_PORT..MAX, the configured
 * socket buffers. mediasoup's TransportListenInfo, spelled out so config.ts needs no mediasoup.
 */
export function rtcListenInfo(config: SfuConfig) {
  return {
    protocol: 'udp' as const,
    ip: config.listenIp,
    portRange: { min: config.rtcMinPort, max: config.rtcMaxPort },
    recvBufferSize: config.recvBufferBytes,
    sendBufferSize: config.sendBufferBytes,
  };
}

/** `ws://node:3000/ws` → `ws://node:3000/cascade`: where other nodes link to this one. */
export function cascadeUrlOf(signalingUrl: string): string {
  const url = new URL(signalingUrl);
  url.pathname = url.pathname.replace(/\/ws$/, '/cascade');
  url.search = '';
  return url.toString();
}

/** `http://host:3000` → `ws://host:3000/ws`: the signaling endpoint beside the pages. */
export function signalingUrlOf(publicUrl: string): string {
  const url = new URL(publicUrl);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/ws`;
  url.search = '';
  url.hash = '';
  return url.toString();
}

/** `pagesUrl` (the app's PUBLIC_URL) gives the signaling URL when SFU_NODE_URL is not set. */
export function sfuConfigFromEnv(env: SfuEnv, pagesUrl = 'http://localhost:3000'): SfuConfig {
  return {
    numWorkers: env.SFU_WORKERS,
    listenIp: env.SFU_LISTEN_IP,
    announcedAddress: env.SFU_ANNOUNCED_ADDRESS,
    announcedRefreshMs: env.SFU_ANNOUNCED_ADDRESS_REFRESH_SECONDS * 1000,
    turn: env.TURN_URLS && env.TURN_SECRET ? { urls: env.TURN_URLS, secret: env.TURN_SECRET, ttlSeconds: env.TURN_CREDENTIAL_TTL_SECONDS } : undefined,
    webRtcPortBase: env.SFU_WEBRTC_PORT_BASE,
    rtcMinPort: env.SFU_RTC_MIN_PORT,
    rtcMaxPort: env.SFU_RTC_MAX_PORT,
    recvBufferBytes: env.SFU_RECV_BUFFER_BYTES,
    sendBufferBytes: env.SFU_SEND_BUFFER_BYTES,
    maxConsumersPerWorker: env.SFU_MAX_CONSUMERS_PER_WORKER,
    maxSites: env.SFU_MAX_SITES,
    node: {
      id: env.SFU_NODE_ID,
      signalingUrl: env.SFU_NODE_URL ?? signalingUrlOf(pagesUrl),
      heartbeatMs: env.SFU_NODE_HEARTBEAT_MS,
      deadAfterMs: env.SFU_NODE_DEAD_AFTER_MS,
    },
    cascade: env.SFU_CASCADE_SECRET ? { secret: env.SFU_CASCADE_SECRET, pollMs: env.SFU_CASCADE_POLL_MS } : undefined,
    logLevel: env.SFU_LOG_LEVEL,
    qualityIntervalMs: env.SFU_QUALITY_INTERVAL_MS,
    heartbeatIntervalMs: env.SFU_HEARTBEAT_INTERVAL_MS,
    limits: {
      maxConnections: env.SFU_WS_MAX_CONNECTIONS,
      maxConnectionsPerAddress: env.SFU_WS_MAX_CONNECTIONS_PER_ADDRESS,
      messagesPerSecond: env.SFU_WS_MESSAGES_PER_SECOND,
      messageBurst: env.SFU_WS_MESSAGE_BURST,
      queueLimit: env.SFU_WS_QUEUE_LIMIT,
      maxBufferedBytes: env.SFU_WS_MAX_BUFFERED_BYTES,
      joinTimeoutMs: env.SFU_WS_JOIN_TIMEOUT_MS,
      handChangesPerMinute: env.SFU_HAND_CHANGES_PER_MINUTE,
    },
    workerBin: env.MEDIASOUP_WORKER_BIN,
    cacheDir: env.HOINGHI_CACHE_DIR ?? path.join(env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'hoinghi'),
  };
}
