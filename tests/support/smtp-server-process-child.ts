/**
 * The child of smtp-server-process.ts: a test SMTP server (api/invites/smtp-test-server) in a
 * process of its own. Sends { type: 'ready', url } once it listens; answers { type: 'received' }
 * with { type: 'received', count, raws? } (the raw messages only when asked, base64); stops when
 * its parent disconnects.
 */
import { z } from 'zod';
import { startTestSmtpServer } from '../../api/invites/smtp-test-server.test-support.ts';

const requestSchema = z.object({ type: z.literal('received'), withRaw: z.boolean().default(false) });

const server = await startTestSmtpServer();
process.send?.({ type: 'ready', url: server.url });
process.on('message', (raw: unknown) => {
  const request = requestSchema.safeParse(raw);
  if (!request.success) return;
  process.send?.({
    type: 'received',
    count: server.received.length,
    ...(request.data.withRaw ? { raws: server.received.map((m) => m.raw.toString('base64')) } : {}),
  });
});
process.on('disconnect', () => void server.close().then(() => process.exit(0)));
