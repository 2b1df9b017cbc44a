/**
 * The protocol module alone: every message type has a valid example that parses, and no frame,
 * however broken, makes parsing throw.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ClientRequest, ResponseData, ServerMessage, ServerNotification, type ClientRequestType, type ServerNotificationType } from './protocol.ts';
import { opusParameters, vp8SimulcastParameters } from './test-fixtures.ts';

const uuid = '3f1c2a4e-8b7d-4c1e-9a2b-5d6e7f8a9b0c';
const dtls = { role: 'client', fingerprints: [{ algorithm: 'sha-256', value: 'AB:CD' }] };
const caps = { codecs: [{ kind: 'audio', mimeType: 'audio/opus', clockRate: 48000, channels: 2, preferredPayloadType: 100 }], headerExtensions: [] };

const requestExamples: { [T in ClientRequestType]: unknown } = {
  join: { joinToken: 'tok', meetingId: uuid },
  setRtpCapabilities: { rtpCapabilities: caps },
  createTransport: { direction: 'send' },
  connectTransport: { transportId: 't1', dtlsParameters: dtls },
  restartIce: { transportId: 't1' },
  produce: { transportId: 't1', kind: 'video', source: 'camera', rtpParameters: vp8SimulcastParameters(1) },
  closeProducer: { producerId: 'p1' },
  setProducerPaused: { producerId: 'p1', paused: false },
  resumeConsumer: { consumerId: 'c1' },
  raiseHand: {},
  lowerHand: {},
  setAudioOnly: { audioOnly: true },
  leave: {},
  ping: {},
  giveFloor: { siteId: uuid },
  revokeFloor: {},
  muteSite: { siteId: uuid },
  spotlight: { siteId: null },
  kick: { siteId: uuid },
  endMeeting: {},
  setPage: { page: 0, pageSize: 16 },
  rehearse: { readinessToken: 'r'.repeat(43) },
  rehearsalStats: {},
};

const site = {
  siteId: uuid,
  siteName: 'Xã Tân Hòa',
  role: 'participant',
  online: true,
  micMuted: true,
  handRaised: false,
  hasFloor: false,
  spotlighted: false,
  audioOnly: false,
};
const notificationExamples: { [T in ServerNotificationType]: unknown } = {
  newConsumer: { consumerId: 'c', producerId: 'p', kind: 'audio', source: 'microphone', siteId: uuid, rtpParameters: opusParameters(5), producerPaused: true },
  consumerClosed: { consumerId: 'c' },
  consumerPaused: { consumerId: 'c' },
  consumerResumed: { consumerId: 'c' },
  floorChanged: { siteId: null },
  spotlightChanged: { siteId: uuid },
  handQueue: { siteIds: [uuid] },
  siteState: site,
  activeSpeaker: { siteId: uuid },
  kicked: { reason: 'revoked' },
  meetingEnded: {},
  rejoin: { reason: 'server-failure' },
  shutdown: {},
};

describe('protocol', () => {
  it('parses an example of every client request', () => {
    const types = ClientRequest.options.map((o) => o.shape.type.value).sort();
    expect(Object.keys(requestExamples).sort()).toEqual(types);
    for (const [type, data] of Object.entries(requestExamples)) {
      const r = ClientRequest.safeParse({ id: 1, type, data });
      expect(r.success, `${type}: ${r.error?.message}`).toBe(true);
    }
  });

  it('lets requests without parameters omit data', () => {
    expect(ClientRequest.parse({ id: 'a', type: 'raiseHand' })).toEqual({ id: 'a', type: 'raiseHand', data: {} });
  });

  it('parses an example of every notification, and responses', () => {
    const types = ServerNotification.options.map((o) => o.shape.type.value).sort();
    expect(Object.keys(notificationExamples).sort()).toEqual(types);
    for (const [type, data] of Object.entries(notificationExamples)) {
      const r = ServerMessage.safeParse({ type, data });
      expect(r.success, `${type}: ${r.error?.message}`).toBe(true);
    }
    expect(ServerMessage.safeParse({ type: 'response', id: 3, ok: true, data: { position: 1 } }).success).toBe(true);
    expect(ServerMessage.safeParse({ type: 'response', id: null, ok: false, error: { code: 'bad-request', message: 'x' } }).success).toBe(true);
    expect(ServerMessage.safeParse({ type: 'response', id: 3, ok: false, error: { code: 'teapot', message: 'x' } }).success).toBe(false);
    expect(ResponseData.raiseHand.safeParse({ position: 0 }).success).toBe(false);
  });

  it('rejects wrong shapes with issues rather than exceptions', () => {
    for (const bad of [
      null,
      42,
      'join',
      [],
      { type: 'join' }, // no id
      { id: 1, type: 'nope', data: {} },
      { id: 1, type: 'giveFloor', data: { siteId: 'not-a-uuid' } },
      { id: 1, type: 'produce', data: { transportId: 't', kind: 'audio', source: 'camera', rtpParameters: {} } },
      { id: -1, type: 'ping', data: {} },
      { id: 1, type: 'setPage', data: { page: 0, pageSize: 10_000 } },
    ]) {
      expect(ClientRequest.safeParse(bad).success).toBe(false);
    }
  });

  it('never throws on arbitrary JSON', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        ClientRequest.safeParse(v);
        ClientRequest.safeParse({ id: 1, type: 'produce', data: v });
      }),
      { numRuns: 500 },
    );
  });
});
