/**
 * A test SMTP server in a process of its own, as a relay is: what it costs does not land on the
 * process under test, and it keeps answering while that process's main thread is busy. Used by
 * bench:invites (the floor and the delivery alike) and by the SMTP thread's tests.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

const CHILD = fileURLToPath(new URL('./smtp-server-process-child.ts', import.meta.url));
const readySchema = z.object({ type: z.literal('ready'), url: z.string() });
const receivedSchema = z.object({ type: z.literal('received'), count: z.number(), raws: z.array(z.string()).optional() });

export interface SmtpServerProcess {
  url: string;
  /** How many messages it has accepted. */
  count(): Promise<number>;
  /** Every message it accepted, as received. */
  messages(): Promise<Buffer[]>;
  close(): Promise<void>;
}

export async function startSmtpServerProcess(): Promise<SmtpServerProcess> {
  const child: ChildProcess = fork(CHILD, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const url = await new Promise<string>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the SMTP server process exited (${code}) before listening`)));
    child.on('message', (message) => {
      const ready = readySchema.safeParse(message);
      if (ready.success) resolve(ready.data.url);
    });
  });
  const ask = (withRaw: boolean) =>
    new Promise<z.infer<typeof receivedSchema>>((resolve) => {
      const onMessage = (message: unknown) => {
        const answer = receivedSchema.safeParse(message);
        if (!answer.success) return;
        child.off('message', onMessage);
        resolve(answer.data);
      };
      child.on('message', onMessage);
      child.send({ type: 'received', withRaw });
    });
  let closing: Promise<void> | null = null;
  return {
    url,
    count: async () => (await ask(false)).count,
    messages: async () => ((await ask(true)).raws ?? []).map((raw) => Buffer.from(raw, 'base64')),
    close() {
      closing ??= new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.disconnect();
      });
      return closing;
    },
  };
}
