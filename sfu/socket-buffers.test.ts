/**
 * Socket buffers: SFU_RECV_BUFFER_BYTES / SFU_SEND_BUFFER_BYTES reach the worker's sockets
 * (WebRtcServer, PlainTransport, PipeTransport), read back from the kernel with `ss`, and the
 * start-up check warns, with the sysctl that fixes it, when the kernel would cap them.
 */
import { execFileSync } from 'node:child_process';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { rtcListenInfo } from './config.ts';
import { bufferShortfalls, readKernelBufferLimits } from './socket-buffers.ts';
import { silentLog, testConfig } from './test-fixtures.ts';
import { WorkerPool } from './worker-pool.ts';

const MiB = 1024 * 1024;

/** rb / tb (the kernel's SO_RCVBUF / SO_SNDBUF) of the UDP sockets bound to `ports`. */
function socketBuffers(ports: number[]): Map<number, { rb: number; tb: number }> {
  const out = new Map<number, { rb: number; tb: number }>();
  const text = execFileSync('ss', ['-uamnH'], { encoding: 'utf8' });
  // e.g. "UNCONN 0 0 127.0.0.1:20800 0.0.0.0:* skmem:(r0,rb2097152,t0,tb2097152,f0,w0,o0,bl0,d0)" (skmem may wrap)
  for (const m of text.replace(/\n\s+skmem/g, ' skmem').matchAll(/\S+:(\d+)\s+\S+\s+skmem:\(r\d+,rb(\d+),t\d+,tb(\d+)/g)) {
    const port = Number(m[1]);
    if (ports.includes(port)) out.set(port, { rb: Number(m[2]), tb: Number(m[3]) });
  }
  return out;
}

function capturingLog() {
  const lines: { level: number; msg: string; fix?: string }[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(line) as (typeof lines)[number]);
      done();
    },
  });
  return { log: pino({ level: 'warn' }, sink), lines };
}

describe('socket buffers', () => {
  it('finds which requested buffers the kernel caps', () => {
    const config = { recvBufferBytes: 4 * MiB, sendBufferBytes: 2 * MiB };
    expect(bufferShortfalls(config, { rmemMax: 212992, wmemMax: 4 * MiB })).toEqual([
      { sysctl: 'net.core.rmem_max', variable: 'SFU_RECV_BUFFER_BYTES', requested: 4 * MiB, kernelMax: 212992 },
    ]);
    expect(bufferShortfalls(config, { rmemMax: 4 * MiB, wmemMax: 2 * MiB })).toEqual([]);
    expect(bufferShortfalls(config, { rmemMax: undefined, wmemMax: 1 })).toHaveLength(1);
  });

  it('gives the WebRtcServer, PlainTransport and PipeTransport sockets the configured sizes', async () => {
    const limits = readKernelBufferLimits();
    expect(limits.rmemMax).toBeGreaterThan(0);
    expect(limits.wmemMax).toBeGreaterThan(0);
    // What this kernel allows without privileges, and different from its defaults.
    const recv = Math.min(MiB, limits.rmemMax!);
    const send = Math.min(MiB / 2, limits.wmemMax!);
    const config = testConfig(20750, { SFU_RECV_BUFFER_BYTES: String(recv), SFU_SEND_BUFFER_BYTES: String(send), SFU_WORKERS: '1' });
    const pool = await WorkerPool.create(config, silentLog);
    try {
      const worker = pool.slots()[0]!.worker;
      const router = await worker.createRouter({ mediaCodecs: [{ kind: 'audio', mimeType: 'audio/opus', clockRate: 48000, channels: 2 }] });
      const plain = await router.createPlainTransport({ listenInfo: rtcListenInfo(config) });
      const pipe = await router.createPipeTransport({ listenInfo: rtcListenInfo(config) });
      const ports = [config.webRtcPortBase, plain.tuple.localPort, pipe.tuple.localPort];
      const found = socketBuffers(ports);
      for (const port of ports) {
        // Linux doubles the requested size to account for its bookkeeping
        expect(found.get(port), `socket on port ${port}`).toEqual({ rb: 2 * recv, tb: 2 * send });
      }
    } finally {
      pool.close();
    }
  });

  it('warns at start-up, with the sysctl to run, when the kernel caps the buffers', async () => {
    const { rmemMax, wmemMax } = readKernelBufferLimits();
    const over = { SFU_RECV_BUFFER_BYTES: String(rmemMax! + 4096), SFU_SEND_BUFFER_BYTES: String(wmemMax! + 4096), SFU_WORKERS: '1' };
    const { log, lines } = capturingLog();
    const pool = await WorkerPool.create(testConfig(20760, over), log);
    pool.close();
    const warnings = lines.filter((l) => l.level === 40 && l.msg.includes('caps the SFU'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.fix).toBe(`sysctl -w net.core.rmem_max=${rmemMax! + 4096} net.core.wmem_max=${wmemMax! + 4096}`);
    expect(warnings[0]!.msg).toContain(`net.core.rmem_max=${rmemMax} < SFU_RECV_BUFFER_BYTES=${rmemMax! + 4096}`);

    // within the limits: no warning
    const quiet = capturingLog();
    const ok = await WorkerPool.create(
      testConfig(20770, { SFU_RECV_BUFFER_BYTES: String(rmemMax), SFU_SEND_BUFFER_BYTES: String(wmemMax), SFU_WORKERS: '1' }),
      quiet.log,
    );
    ok.close();
    expect(quiet.lines.filter((l) => l.msg.includes('caps the SFU'))).toEqual([]);
  });
});
