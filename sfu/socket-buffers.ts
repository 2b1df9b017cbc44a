/**
 * The start-up check of the kernel's socket buffer limits.
 *
 * The media sockets ask for SFU_RECV_BUFFER_BYTES / SFU_SEND_BUFFER_BYTES (sized for a 170-site
 * room, see config.ts), but Linux silently caps an unprivileged SO_RCVBUF / SO_SNDBUF at
 * net.core.rmem_max / wmem_max (212,992 bytes on a stock Debian). A capped worker drops
 * packets at its socket whenever it falls a few milliseconds behind, and nothing else says so;
 * this check says so once, at start-up, with the commands that fix it.
 */
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import type { SfuConfig } from './config.ts';

export interface KernelBufferLimits {
  rmemMax: number | undefined;
  wmemMax: number | undefined;
}

/** The kernel's limits, or undefined where they cannot be read (not Linux, a sandbox). */
export function readKernelBufferLimits(procDir = '/proc/sys/net/core'): KernelBufferLimits {
  const read = (name: string) => {
    try {
      const n = Number(readFileSync(`${procDir}/${name}`, 'utf8').trim());
      return Number.isSafeInteger(n) && n > 0 ? n : undefined;
    } catch {
      return undefined;
    }
  };
  return { rmemMax: read('rmem_max'), wmemMax: read('wmem_max') };
}

export interface BufferShortfall {
  sysctl: 'net.core.rmem_max' | 'net.core.wmem_max';
  variable: 'SFU_RECV_BUFFER_BYTES' | 'SFU_SEND_BUFFER_BYTES';
  requested: number;
  kernelMax: number;
}

/** Which requested buffers the kernel would cap. */
export function bufferShortfalls(config: Pick<SfuConfig, 'recvBufferBytes' | 'sendBufferBytes'>, limits: KernelBufferLimits): BufferShortfall[] {
  const out: BufferShortfall[] = [];
  if (limits.rmemMax !== undefined && limits.rmemMax < config.recvBufferBytes) {
    out.push({ sysctl: 'net.core.rmem_max', variable: 'SFU_RECV_BUFFER_BYTES', requested: config.recvBufferBytes, kernelMax: limits.rmemMax });
  }
  if (limits.wmemMax !== undefined && limits.wmemMax < config.sendBufferBytes) {
    out.push({ sysctl: 'net.core.wmem_max', variable: 'SFU_SEND_BUFFER_BYTES', requested: config.sendBufferBytes, kernelMax: limits.wmemMax });
  }
  return out;
}

/** Logs one warning naming every capped buffer and the sysctl commands that lift the cap. */
export function warnIfKernelCapsBuffers(
  config: Pick<SfuConfig, 'recvBufferBytes' | 'sendBufferBytes'>,
  log: Logger,
  limits: KernelBufferLimits = readKernelBufferLimits(),
): BufferShortfall[] {
  const shortfalls = bufferShortfalls(config, limits);
  if (shortfalls.length === 0) return shortfalls;
  const settings = shortfalls.map((s) => `${s.sysctl}=${s.requested}`);
  log.warn(
    {
      shortfalls,
      fix: `sysctl -w ${settings.join(' ')}`,
      persist: `printf '%s\\n' ${settings.map((s) => `'${s}'`).join(' ')} > /etc/sysctl.d/60-hoinghi-sfu.conf`,
    },
    `the kernel caps the SFU's socket buffers (${shortfalls
      .map((s) => `${s.sysctl}=${s.kernelMax} < ${s.variable}=${s.requested}`)
      .join(', ')}): workers will drop packets under load. As root: sysctl -w ${settings.join(' ')} ` +
      '(and the same lines in /etc/sysctl.d/ to keep them after a reboot)',
  );
  return shortfalls;
}
