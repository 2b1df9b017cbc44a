/**
 * What the SMTP thread adds to the transport (mail-transport.test.ts runs the SMTP behaviour
 * itself on both transports): the journal line is written on the thread, even while the main
 * thread is busy; a meeting's document crosses intact, shared rather than copied; a message that
 * cannot cross fails as the message's fault; close() ends the thread and what it still held.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { startSmtpServerProcess } from '../../tests/support/smtp-server-process.ts';
import { composeInviteEmail } from './email.ts';
import { inviteFor, parseMail, SITES } from './invite-fixtures.test-support.ts';
import { classifySendError, type MailTransport } from './mail-transport.ts';
import { startMisbehavingServer } from './smtp-test-server.test-support.ts';
import { createThreadedSmtpTransport } from './threaded-smtp-transport.ts';

const run = promisify(execFile);
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

function threaded(url: string, timeouts?: { connection: number; greeting: number; socket: number }): MailTransport {
  const transport = createThreadedSmtpTransport({ url, maxConnections: 2, ratePerSecond: 100, ...(timeouts ? { timeouts } : {}) });
  cleanups.push(() => transport.close());
  return transport;
}

/** Blocks this thread (no event loop turn) until `done` or `ms` pass; true if `done` came first. */
function blockUntil(done: () => boolean, ms: number): boolean {
  const deadline = Date.now() + ms;
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  while (Date.now() < deadline) {
    if (done()) return true;
    Atomics.wait(sleeper, 0, 0, 5);
  }
  return done();
}

describe('the SMTP transport on a thread of its own', () => {
  it('journals an acceptance on the SMTP thread while the main thread is blocked', async () => {
    const server = await startSmtpServerProcess();
    cleanups.push(() => server.close());
    const transport = threaded(server.url);
    await transport.send(composeInviteEmail(inviteFor(SITES[0]!)).message); // the thread is up and connected
    const file = path.join(await mkdtemp(path.join(os.tmpdir(), 'hoinghi-thread-journal-')), 'invite-journal.ndjson');
    const inviteId = '3f0c6a8e-9d2b-4c1e-8a7f-5b6d4e3c2a10';
    const sending = transport.send(composeInviteEmail(inviteFor(SITES[1]!)).message, { journal: { file, inviteId } });
    // This thread turns no event loop from here: only another thread can talk SMTP and write the line.
    const journaledWhileBlocked = blockUntil(() => existsSync(file) && readFileSync(file, 'utf8').includes(inviteId), 10_000);
    expect(journaledWhileBlocked).toBe(true);
    const result = await sending;
    const entry = JSON.parse(readFileSync(file, 'utf8').trim()) as { id: string; messageId: string; sentAt: string };
    expect(entry).toMatchObject({ id: inviteId, messageId: result.messageId });
    expect(Number.isNaN(Date.parse(entry.sentAt))).toBe(false);
    expect(await server.count()).toBe(2);
  });

  it('carries a meeting document intact, from a shared buffer or an ordinary one', async () => {
    const server = await startSmtpServerProcess();
    cleanups.push(() => server.close());
    const transport = threaded(server.url);
    const pdf = Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(300_000, 7), Buffer.from('\n%%EOF\n')]);
    const shared = new Uint8Array(new SharedArrayBuffer(pdf.length));
    shared.set(pdf);
    for (const content of [shared, new Uint8Array(pdf)]) {
      await transport.send(composeInviteEmail({ ...inviteFor(SITES[0]!), attachment: { fileName: 'cong-van.pdf', content } }).message);
    }
    const received = await server.messages();
    expect(received).toHaveLength(2);
    for (const raw of received) {
      const mail = await parseMail(raw);
      const document = mail.attachments.find((a) => a.filename === 'cong-van.pdf');
      expect(document?.content.equals(pdf)).toBe(true);
    }
  });

  it('refuses a message that cannot cross threads as the message’s fault, and goes on', async () => {
    const server = await startSmtpServerProcess();
    cleanups.push(() => server.close());
    const transport = threaded(server.url);
    const message = { ...composeInviteEmail(inviteFor(SITES[0]!)).message, headers: { 'X-Odd': () => 'not cloneable' } };
    const error = await transport.send(message as never).then(
      () => null,
      (e: unknown) => e,
    );
    expect(classifySendError(error)).toMatchObject({ kind: 'permanent' });
    await transport.send(composeInviteEmail(inviteFor(SITES[1]!)).message);
    expect(await server.count()).toBe(1);
  });

  it('starts its thread from a server whose working directory is not the project (as a service manager starts it)', async () => {
    const server = await startSmtpServerProcess();
    cleanups.push(() => server.close());
    const transportModule = new URL('./threaded-smtp-transport.ts', import.meta.url).href;
    const script = `
      const { createThreadedSmtpTransport } = await import(${JSON.stringify(transportModule)});
      const transport = createThreadedSmtpTransport({ url: ${JSON.stringify(server.url)}, maxConnections: 1, ratePerSecond: 10 });
      try {
        await transport.send({ from: 'vanphong@hoinghi.local', to: 'xa@diemcau.hoinghi.local', subject: 'thử', text: 'thử' });
        console.log('sent');
      } catch (error) {
        console.log('failed: ' + error.message);
      } finally {
        await transport.close();
      }`;
    const { stdout } = await run(process.execPath, ['--import', import.meta.resolve('tsx'), '--input-type=module', '-e', script], {
      cwd: os.tmpdir(),
      timeout: 60_000,
    });
    expect(stdout.trim()).toBe('sent');
    expect(await server.count()).toBe(1);
  });

  it('close() ends the thread: a send it still held fails as transient, later sends are refused, twice is once', async () => {
    const silent = await startMisbehavingServer('silent');
    cleanups.push(() => silent.close());
    const transport = threaded(silent.url, { connection: 30_000, greeting: 30_000, socket: 30_000 });
    const held = transport.send(composeInviteEmail(inviteFor(SITES[0]!)).message).then(
      () => null,
      (e: unknown) => e,
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    const started = Date.now();
    await Promise.all([transport.close(), transport.close()]);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(classifySendError(await held).kind).toBe('transient');
    await expect(transport.send(composeInviteEmail(inviteFor(SITES[1]!)).message)).rejects.toThrow(/closed/);
  });
});
