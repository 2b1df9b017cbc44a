/**
 * TURN for sites whose network lets only TLS on 443 out: the TURN server (coturn, run beside
 * hoinghi; see the README) relays them to the SFU. Credentials are minted per join with the
 * TURN REST scheme coturn knows as `use-auth-secret`: username `<expiry unix seconds>:<site
 * id>`, password base64(HMAC-SHA1(shared secret, username)). Nothing is stored, the secret
 * never leaves the server, and a leaked credential dies at its expiry.
 */
import { createHmac } from 'node:crypto';
import type { IceServer } from './protocol.ts';

export interface TurnConfig {
  urls: string[];
  secret: string;
  ttlSeconds: number;
}

/** The ICE servers for one join: none when TURN is not configured. */
export function turnIceServers(turn: TurnConfig | undefined, siteId: string, now = Date.now()): IceServer[] {
  if (!turn) return [];
  const username = `${Math.floor(now / 1000) + turn.ttlSeconds}:${siteId}`;
  const credential = createHmac('sha1', turn.secret).update(username).digest('base64');
  return [{ urls: [...turn.urls], username, credential }];
}
