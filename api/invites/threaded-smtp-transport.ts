/**
 * The SMTP transport in a thread of its own. Composing a message's MIME and carrying the SMTP
 * conversation cost nodemailer about 1.8 ms of CPU per invitation here, several times what the
 * dispatcher spends claiming, rendering and recording it. On the main thread that time is taken
 * from everything else the process does: a national meeting's 3,356 invitations kept the
 * embedded database (PGlite runs on the main thread), the HTTP API and the SFU's signaling
 * waiting for seconds, and the dispatcher could not keep up with a fast relay. Here nodemailer's
 * pool runs in a worker thread (smtp-thread.ts) and the main thread only posts each message and
 * hears its answer. The thread also writes the delivery journal's line for each acceptance
 * (SendOptions.journal): the moment it hears the 250, even while the main thread is inside a
 * database statement, so the transport can be handed more messages than it has connections
 * without widening the window in which a crash duplicates one (see dispatcher.ts).
 *
 * Same contract as createSmtpTransport (mail-transport.ts): send() resolves with the server's
 * acceptance or rejects with an Error carrying the fields classifySendError reads. If the thread
 * dies, the sends it held fail as transient (the outbox retries them) and the next send starts a
 * new thread. A meeting's document is shared with the thread rather than copied when it lives in
 * a SharedArrayBuffer (render.ts puts it there).
 */
import { Worker } from 'node:worker_threads';
import pino, { type Logger } from 'pino';
import type { MailTransport, SendOptions, SendResult, SmtpTransportOptions } from './mail-transport.ts';
import { fromSmtpThreadSchema, sendError, type SmtpThreadSettings, type ToSmtpThread } from './smtp-thread-protocol.ts';

const THREAD_ENTRY = new URL('./smtp-thread.ts', import.meta.url).href;
// The thread loads TypeScript as the main thread does (tsx); the bootstrap works the same under
// `tsx server/main.ts` and inside vitest, where the thread does not inherit a loader. tsx is
// found from this file, not from the working directory: a server started from elsewhere (a
// service manager's) must still find it.
const TSX_API = import.meta.resolve('tsx/esm/api');
const BOOTSTRAP = `import(${JSON.stringify(TSX_API)}).then(({ register }) => { register(); return import(${JSON.stringify(THREAD_ENTRY)}); })`;
/** How long close() waits for the thread to end its connections before ending it. */
const CLOSE_GRACE_MS = 5_000;

interface Pending {
  resolve: (result: SendResult) => void;
  reject: (error: Error) => void;
}

export function createThreadedSmtpTransport(options: SmtpTransportOptions): MailTransport {
  return new ThreadedSmtpTransport(options);
}

class ThreadedSmtpTransport implements MailTransport {
  private thread: Worker | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closing: Promise<void> | null = null;
  private readonly logger: Logger;

  constructor(private readonly options: SmtpTransportOptions) {
    this.logger = (options.logger ?? pino({ level: 'silent' })).child({ component: 'mail-transport', transport: 'smtp-thread' });
    // Started now rather than at the first send: loading nodemailer in a new thread takes a
    // moment, better spent while the server starts than while the first invitations wait.
    this.start();
  }

  send(message: Parameters<MailTransport['send']>[0], options?: SendOptions): Promise<SendResult> {
    if (this.closing) return Promise.reject(sendError({ message: 'the mail transport is closed' }));
    const thread = this.thread ?? this.start();
    const id = this.nextId++;
    return new Promise<SendResult>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      // Sends in flight keep the process alive; an idle thread does not.
      if (this.pending.size === 1) thread.ref();
      try {
        thread.postMessage({ type: 'send', id, message, ...(options?.journal ? { journal: options.journal } : {}) } satisfies ToSmtpThread);
      } catch (error) {
        // A message that cannot cross threads (it holds a function, say): the message's fault.
        this.settle(id)?.reject(sendError({ message: `the message cannot be handed to the SMTP thread: ${String(error)}`, code: 'EMESSAGE' }));
      }
    });
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      const thread = this.thread;
      if (!thread) return;
      const exited = new Promise<void>((resolve) => thread.once('exit', () => resolve()));
      thread.postMessage({ type: 'close' } satisfies ToSmtpThread);
      const timer = setTimeout(() => void thread.terminate(), CLOSE_GRACE_MS);
      await exited;
      clearTimeout(timer);
    })();
    return this.closing;
  }

  private start(): Worker {
    const settings: SmtpThreadSettings = {
      smtp: {
        url: this.options.url,
        maxConnections: this.options.maxConnections,
        ratePerSecond: this.options.ratePerSecond,
        ...(this.options.timeouts ? { timeouts: this.options.timeouts } : {}),
      },
      logLevel: this.options.logger?.level ?? 'silent',
      logBindings: this.options.logger?.bindings() ?? {},
    };
    const thread = new Worker(BOOTSTRAP, { eval: true, workerData: settings });
    thread.unref();
    thread.on('message', (raw: unknown) => {
      const parsed = fromSmtpThreadSchema.safeParse(raw);
      if (!parsed.success) {
        this.logger.error({ issues: parsed.error.issues }, 'the SMTP thread said something not understood');
        return;
      }
      const message = parsed.data;
      if (message.type === 'sent') this.settle(message.id)?.resolve(message.result);
      else if (message.type === 'failed') this.settle(message.id)?.reject(sendError(message.error));
    });
    thread.on('error', (error) => this.logger.error({ err: error }, 'the SMTP thread failed'));
    thread.on('exit', (exitCode) => {
      if (this.thread === thread) this.thread = null;
      if (!this.closing) this.logger.error({ exitCode }, 'the SMTP thread stopped; the next send starts another');
      const reason = this.closing ? 'the mail transport was closed before the server answered' : `the SMTP thread stopped (exit code ${exitCode})`;
      for (const id of [...this.pending.keys()]) this.settle(id)?.reject(sendError({ message: reason }));
    });
    this.thread = thread;
    return thread;
  }

  /** Forgets a send and returns its callbacks (undefined if already settled). */
  private settle(id: number): Pending | undefined {
    const entry = this.pending.get(id);
    this.pending.delete(id);
    if (this.pending.size === 0) this.thread?.unref();
    return entry;
  }
}
