/**
 * A synthetic site's media line, as far as the SFU can tell a real one: ICE and DTLS on a
 * WebRtcTransport, from Node, without a browser.
 *
 * The SFU records a site as present (attendance `join`) only when a transport's DTLS reaches
 * `connected`, so joining over signaling is not enough for attendance tests. Node has no DTLS,
 * so the handshake is done by the system's `openssl s_client -dtls1_2` (with the SRTP extension
 * WebRTC requires), through a UDP relay: the relay's socket first sends the ICE-lite server a
 * STUN Binding Request with USE-CANDIDATE, signed with the transport's ICE password, which makes
 * it the transport's selected tuple; then it forwards openssl's DTLS datagrams both ways.
 * The client certificate's SHA-256 fingerprint is what the site sends in `connectTransport`, so
 * mediasoup checks it as it would a browser's. No RTP flows: this proves presence, not media.
 * Loopback only.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHmac, randomBytes, X509Certificate } from 'node:crypto';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { crc32 } from 'node:zlib';

export interface DtlsIdentity {
  certFile: string;
  keyFile: string;
  /** For `connectTransport`: `{ role: 'client', fingerprints: [{ algorithm: 'sha-256', value }] }`. */
  dtlsParameters: { role: 'client'; fingerprints: { algorithm: 'sha-256'; value: string }[] };
  dispose(): void;
}

/** One self-signed client certificate (EC P-256, like browsers'); every synthetic site may share it. */
export function createDtlsIdentity(): DtlsIdentity {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hoinghi-dtls-'));
  const certFile = path.join(dir, 'cert.pem');
  const keyFile = path.join(dir, 'key.pem');
  const made = spawnSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '2',
      '-subj',
      '/CN=hoinghi-test-site',
      '-keyout',
      keyFile,
      '-out',
      certFile,
    ],
    { stdio: 'pipe' },
  );
  if (made.status !== 0) throw new Error(`openssl could not make a test certificate: ${made.stderr.toString()}`);
  const value = new X509Certificate(readFileSync(certFile)).fingerprint256;
  return {
    certFile,
    keyFile,
    dtlsParameters: { role: 'client', fingerprints: [{ algorithm: 'sha-256', value }] },
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export interface IceInfo {
  iceParameters: { usernameFragment: string; password: string };
  iceCandidates: { ip: string; port: number; protocol: 'udp' | 'tcp' }[];
}

// STUN (RFC 5389) with the ICE attributes (RFC 8445) an ICE-lite server checks.
const MAGIC = 0x2112a442;
const attr = (type: number, value: Buffer): Buffer => {
  const header = Buffer.alloc(4);
  header.writeUInt16BE(type, 0);
  header.writeUInt16BE(value.length, 2);
  const pad = Buffer.alloc((4 - (value.length % 4)) % 4);
  return Buffer.concat([header, value, pad]);
};

export function stunBindingRequest(serverUfrag: string, password: string, clientUfrag: string): Buffer {
  const priority = Buffer.alloc(4);
  priority.writeUInt32BE(0x6e0001ff, 0);
  const attrs = Buffer.concat([
    attr(0x0006, Buffer.from(`${serverUfrag}:${clientUfrag}`)), // USERNAME
    attr(0x0024, priority), // PRIORITY
    attr(0x0025, Buffer.alloc(0)), // USE-CANDIDATE
    attr(0x802a, randomBytes(8)), // ICE-CONTROLLING (tie-breaker)
  ]);
  const header = (bodyLength: number) => {
    const h = Buffer.alloc(20);
    h.writeUInt16BE(0x0001, 0); // Binding Request
    h.writeUInt16BE(bodyLength, 2);
    h.writeUInt32BE(MAGIC, 4);
    transactionId.copy(h, 8);
    return h;
  };
  const transactionId = randomBytes(12);
  // MESSAGE-INTEGRITY covers the message with the length counting itself (24 bytes).
  const beforeMi = Buffer.concat([header(attrs.length + 24), attrs]);
  const mi = attr(0x0008, createHmac('sha1', password).update(beforeMi).digest());
  // FINGERPRINT covers everything before it, the length counting itself (8 bytes).
  const beforeFp = Buffer.concat([header(attrs.length + 24 + 8), attrs, mi]);
  const fp = Buffer.alloc(4);
  fp.writeUInt32BE((crc32(beforeFp) ^ 0x5354554e) >>> 0, 0);
  return Buffer.concat([beforeFp, attr(0x8028, fp)]);
}

const isStun = (msg: Buffer) => msg.length >= 20 && msg[0]! < 2 && msg.readUInt32BE(4) === MAGIC;
const isBindingSuccess = (msg: Buffer) => isStun(msg) && msg.readUInt16BE(0) === 0x0101;

/**
 * A live ICE+DTLS line to one transport. `connected` resolves when the DTLS handshake finished
 * at the client (the SFU's `dtlsstatechange` → `connected` follows within a round trip).
 */
export class MediaLine {
  readonly #relay: dgram.Socket;
  readonly #openssl: ChildProcess;
  readonly #keepAlive: NodeJS.Timeout;
  #closed = false;
  readonly connected: Promise<void>;

  private constructor(relay: dgram.Socket, openssl: ChildProcess, keepAlive: NodeJS.Timeout, connected: Promise<void>) {
    this.#relay = relay;
    this.#openssl = openssl;
    this.#keepAlive = keepAlive;
    this.connected = connected;
  }

  static async open(ice: IceInfo, identity: DtlsIdentity, timeoutMs = 20_000): Promise<MediaLine> {
    const candidate = ice.iceCandidates.find((c) => c.protocol === 'udp');
    if (!candidate) throw new Error('the transport offers no UDP candidate');
    const relay = dgram.createSocket('udp4');
    relay.bind(0, '127.0.0.1');
    await once(relay, 'listening');
    const { port: relayPort } = relay.address();
    const clientUfrag = randomBytes(4).toString('hex');
    const bind = () => stunBindingRequest(ice.iceParameters.usernameFragment, ice.iceParameters.password, clientUfrag);

    let iceUp!: () => void;
    const iceConnected = new Promise<void>((resolve) => (iceUp = resolve));
    let opensslAddress: { port: number; address: string } | undefined;
    relay.on('message', (msg, from) => {
      if (from.port === candidate.port && from.address === candidate.ip) {
        if (isStun(msg)) {
          if (isBindingSuccess(msg)) iceUp();
          return;
        }
        if (opensslAddress) relay.send(msg, opensslAddress.port, opensslAddress.address);
      } else {
        opensslAddress ??= { port: from.port, address: from.address };
        relay.send(msg, candidate.port, candidate.ip);
      }
    });
    relay.on('error', () => undefined);
    const send = () => relay.send(bind(), candidate.port, candidate.ip);
    send();
    // Retransmit until answered, then keep the binding fresh as a browser's consent checks do.
    const retry = setInterval(send, 200);
    try {
      await Promise.race([iceConnected, new Promise((_, reject) => setTimeout(() => reject(new Error('ICE: no Binding success')), timeoutMs))]);
    } catch (error) {
      relay.close();
      throw error;
    } finally {
      clearInterval(retry);
    }
    const keepAlive = setInterval(send, 2_000);

    const openssl = spawn(
      'openssl',
      [
        's_client',
        '-dtls1_2',
        '-connect',
        `127.0.0.1:${relayPort}`,
        '-cert',
        identity.certFile,
        '-key',
        identity.keyFile,
        '-use_srtp',
        'SRTP_AES128_CM_SHA1_80',
        '-ign_eof',
      ],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    openssl.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const connected = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`DTLS: no handshake in ${timeoutMs} ms: ${stderr}`)), timeoutMs);
      // s_client prints the session once the handshake is done; SRTP keys mean WebRTC's kind.
      openssl.stdout!.on('data', (d: Buffer) => {
        stdout += d.toString();
        if (/SRTP Extension negotiated/.test(stdout)) {
          clearTimeout(timer);
          resolve();
        }
      });
      openssl.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`DTLS: openssl exited with ${code}: ${stderr}`));
      });
    });
    connected.catch(() => undefined);
    return new MediaLine(relay, openssl, keepAlive, connected);
  }

  /** The site's network goes away: no goodbye, no close_notify. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#keepAlive);
    this.#openssl.kill('SIGKILL');
    this.#relay.close();
  }
}
