/**
 * The SMTP thread: a worker_threads entry that owns the nodemailer pool (mail-transport.ts
 * createSmtpTransport) and sends what the main thread posts to it. Started and spoken to only by
 * threaded-smtp-transport.ts, which documents the messages; see there for why a thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import pino from 'pino';
import { createSmtpTransport } from './mail-transport.ts';
import type { z } from 'zod';
import type { OutgoingMail } from './email.ts';
import { type FromSmtpThread, failureFields, smtpThreadSettingsSchema, toSmtpThreadSchema } from './smtp-thread-protocol.ts';

const port = parentPort;
if (!port) throw new Error('smtp-thread.ts runs as a worker thread (threaded-smtp-transport.ts starts it)');

const settings = smtpThreadSettingsSchema.parse(workerData);
const logger = pino({ level: settings.logLevel, base: settings.logBindings });
const transport = createSmtpTransport({ ...settings.smtp, logger });
const post = (message: FromSmtpThread) => port.postMessage(message);

/** Attachments arrive as Uint8Arrays (a Buffer loses its class crossing threads); nodemailer wants Buffers. */
function withBuffers(message: z.infer<typeof toSmtpThreadSchema> & { type: 'send' }): OutgoingMail {
  const { attachments, ...rest } = message.message;
  const mail = rest as OutgoingMail;
  if (!attachments) return mail;
  return { ...mail, attachments: attachments.map((a) => ({ ...a, content: Buffer.from(a.content.buffer, a.content.byteOffset, a.content.byteLength) })) };
}

port.on('message', (raw: unknown) => {
  const parsed = toSmtpThreadSchema.safeParse(raw);
  if (!parsed.success) {
    logger.error({ issues: parsed.error.issues }, 'the SMTP thread got a message it does not understand');
    // A send it cannot read still gets an answer, or its caller would wait for ever.
    const id = (raw as { id?: unknown } | null)?.id;
    if (typeof id === 'number') post({ type: 'failed', id, error: { message: 'the SMTP thread could not read the message', code: 'EMESSAGE' } });
    return;
  }
  const message = parsed.data;
  if (message.type === 'close') {
    void transport.close().then(() => port.close());
    return;
  }
  // The journal line is written here, on this thread, the moment the server accepts.
  transport.send(withBuffers(message), message.journal ? { journal: message.journal } : undefined).then(
    (result) => post({ type: 'sent', id: message.id, result }),
    (error: unknown) => post({ type: 'failed', id: message.id, error: failureFields(error) }),
  );
});
