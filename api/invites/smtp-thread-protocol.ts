/**
 * What the main thread and the SMTP thread (smtp-thread.ts) say to each other, checked on
 * arrival on both sides. A send carries an id; its answer, `sent` or `failed`, carries it back.
 */
import { z } from 'zod';
import type { OutgoingMail } from './email.ts';

/** What the thread is started with (its workerData). */
export const smtpThreadSettingsSchema = z.object({
  smtp: z.object({
    url: z.string(),
    maxConnections: z.number().int().positive(),
    ratePerSecond: z.number().positive(),
    timeouts: z.object({ connection: z.number().optional(), greeting: z.number().optional(), socket: z.number().optional() }).optional(),
  }),
  logLevel: z.string(),
  logBindings: z.record(z.string(), z.unknown()),
});
export type SmtpThreadSettings = z.infer<typeof smtpThreadSettingsSchema>;

// The message itself is ours, composed by email.ts; only what the thread relies on is checked.
const outgoingMailSchema = z.looseObject({
  attachments: z.array(z.looseObject({ content: z.instanceof(Uint8Array) })).optional(),
});

export const toSmtpThreadSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('send'),
    id: z.number().int(),
    message: outgoingMailSchema,
    journal: z.object({ file: z.string(), inviteId: z.string() }).optional(),
  }),
  z.object({ type: z.literal('close') }),
]);
/** What the main thread posts (the message as composed; the schema above checks it on arrival). */
export type ToSmtpThread = { type: 'send'; id: number; message: OutgoingMail; journal?: { file: string; inviteId: string } } | { type: 'close' };

/** A failed send's error as far as classifySendError reads it (an Error loses its fields crossing threads). */
const failureSchema = z.object({
  message: z.string(),
  code: z.string().optional(),
  responseCode: z.number().optional(),
  response: z.string().optional(),
  command: z.string().optional(),
});
export type SendFailure = z.infer<typeof failureSchema>;

export const fromSmtpThreadSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('sent'),
    id: z.number().int(),
    result: z.object({ messageId: z.string(), accepted: z.array(z.string()), rejected: z.array(z.string()) }),
  }),
  z.object({ type: z.literal('failed'), id: z.number().int(), error: failureSchema }),
]);
export type FromSmtpThread = z.infer<typeof fromSmtpThreadSchema>;

/** The fields of a send's error that classifySendError reads. */
export function failureFields(error: unknown): SendFailure {
  const field = (name: string): unknown => (error !== null && typeof error === 'object' ? (error as Record<string, unknown>)[name] : undefined);
  const text = (name: string) => {
    const value = field(name);
    return typeof value === 'string' ? { [name]: value } : {};
  };
  const responseCode = field('responseCode');
  return {
    message: error instanceof Error ? error.message : String(error),
    ...text('code'),
    ...text('response'),
    ...text('command'),
    ...(typeof responseCode === 'number' ? { responseCode } : {}),
  };
}

/** The error the caller of send() gets: an Error with the fields the thread reported. */
export const sendError = (failure: SendFailure): Error => Object.assign(new Error(failure.message), failure);
