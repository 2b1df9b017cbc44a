/** The node part of the configuration: SERVER_ROLE=media needs its own id, URL and PostgreSQL; defaults for the embedded node. */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config.ts';

const base = { LOG_LEVEL: 'silent', DATA_DIR: '/nonexistent' };

describe('node configuration', () => {
  it('makes the embedded default one node, "main", whose signaling URL is beside the pages', () => {
    const plain = parseConfig({ ...base, PUBLIC_URL: 'http://hoinghi.test:8080/' });
    expect(plain.ok && plain.config.SERVER_ROLE).toBe('all');
    expect(plain.ok && plain.config.sfu.node).toEqual({ id: 'main', signalingUrl: 'ws://hoinghi.test:8080/ws', heartbeatMs: 2000, deadAfterMs: 6000 });
    const https = parseConfig({ ...base, PUBLIC_URL: 'https://hoinghi.gov.vn' });
    expect(https.ok && https.config.sfu.node.signalingUrl).toBe('wss://hoinghi.gov.vn/ws');
  });

  it('refuses a media node without its own id, URL, PostgreSQL and the pages’ address, and takes one with them', () => {
    const missing = parseConfig({ ...base, SERVER_ROLE: 'media' });
    expect(missing.ok).toBe(false);
    const problems = missing.ok ? [] : missing.problems.join('\n');
    for (const needed of ['DATABASE_URL', 'SFU_NODE_ID', 'SFU_NODE_URL', 'PUBLIC_URL']) expect(problems).toContain(needed);

    const media = parseConfig({
      ...base,
      SERVER_ROLE: 'media',
      DATABASE_URL: 'postgres://db.test/hoinghi',
      SFU_NODE_ID: 'mien-bac',
      SFU_NODE_URL: 'wss://mien-bac.hoinghi.gov.vn/ws',
      PUBLIC_URL: 'https://hoinghi.gov.vn',
    });
    expect(media.ok && media.config.sfu.node).toMatchObject({ id: 'mien-bac', signalingUrl: 'wss://mien-bac.hoinghi.gov.vn/ws' });
  });

  it('refuses bad node ids and URLs, and a dead-after window shorter than two heartbeats', () => {
    for (const env of [
      { SFU_NODE_ID: 'Mien Bac' },
      { SFU_NODE_URL: 'https://mien-bac.test/ws' },
      { SFU_NODE_URL: 'ws://mien-bac.test/socket' },
      { SFU_NODE_URL: 'not a url' },
      { SFU_NODE_HEARTBEAT_MS: '2000', SFU_NODE_DEAD_AFTER_MS: '3000' },
      { SERVER_ROLE: 'edge' },
    ])
      expect(parseConfig({ ...base, ...env }).ok, JSON.stringify(env)).toBe(false);
  });
});
