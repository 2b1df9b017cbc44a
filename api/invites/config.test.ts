import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config.ts';
import { DEFAULT_MAIL_FROM, mailConfigSchema, parseMailbox } from './config.ts';
import { composeInviteEmail } from './email.ts';
import { inviteFor, SITES } from './invite-fixtures.test-support.ts';
import { listMailFolder } from './mail-folder.ts';
import { createMailTransport } from '../../server/mail-transport.ts';

describe('mailConfigSchema', () => {
  it('defaults to the local mail folder and the provincial office mailbox', () => {
    expect(mailConfigSchema.parse({})).toEqual({
      MAIL_FROM: DEFAULT_MAIL_FROM,
      SMTP_MAX_CONNECTIONS: 5,
      SMTP_RATE_PER_SECOND: 5,
    });
    expect(parseMailbox(DEFAULT_MAIL_FROM)).toEqual({ name: 'Văn phòng UBND tỉnh', email: 'vanphong@hoinghi.local' });
  });

  it('reads numbers from environment strings and rejects what cannot work', () => {
    const config = mailConfigSchema.parse({
      SMTP_URL: 'smtps://vanphong:p%40ss@mail.quangtri.gov.vn:465',
      MAIL_FROM: 'vanphong@quangtri.gov.vn',
      SMTP_MAX_CONNECTIONS: '3',
      SMTP_RATE_PER_SECOND: '0.5',
    });
    expect(config).toMatchObject({ SMTP_MAX_CONNECTIONS: 3, SMTP_RATE_PER_SECOND: 0.5 });
    expect(parseMailbox(config.MAIL_FROM)).toEqual({ name: 'vanphong@quangtri.gov.vn', email: 'vanphong@quangtri.gov.vn' });

    expect(mailConfigSchema.safeParse({ SMTP_URL: 'http://mail.example' }).success).toBe(false);
    expect(mailConfigSchema.safeParse({ MAIL_FROM: 'Văn phòng' }).success).toBe(false);
    expect(mailConfigSchema.safeParse({ SMTP_MAX_CONNECTIONS: '0' }).success).toBe(false);
    expect(mailConfigSchema.safeParse({ SMTP_RATE_PER_SECOND: '-1' }).success).toBe(false);
  });

  it('puts every path under DATA_DIR unless it is set on its own', () => {
    const derived = parseConfig({ DATA_DIR: '/srv/hoinghi' });
    expect(derived.ok && { mail: derived.config.MAIL_FOLDER_DIR, journal: derived.config.INVITE_JOURNAL_FILE }).toEqual({
      mail: path.join('/srv/hoinghi', 'mail'),
      journal: path.join('/srv/hoinghi', 'invite-journal.ndjson'),
    });
    const own = parseConfig({ DATA_DIR: '/srv/hoinghi', MAIL_FOLDER_DIR: '/var/mail/hoinghi', INVITE_JOURNAL_FILE: '/var/lib/journal' });
    expect(own.ok && { mail: own.config.MAIL_FOLDER_DIR, journal: own.config.INVITE_JOURNAL_FILE }).toEqual({
      mail: '/var/mail/hoinghi',
      journal: '/var/lib/journal',
    });
  });

  it('sends through the local mail folder when SMTP_URL is unset', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'hoinghi-config-'));
    try {
      const transport = createMailTransport({ ...mailConfigSchema.parse({}), MAIL_FOLDER_DIR: dir });
      await transport.send(composeInviteEmail(inviteFor(SITES[0]!)).message);
      await transport.close();
      expect(await listMailFolder(dir)).toHaveLength(1);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
