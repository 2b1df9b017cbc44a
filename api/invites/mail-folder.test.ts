import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { composeInviteEmail, composeReminderEmail } from './email.ts';
import { expectWellFormedContentLines, readWithBothParsers } from './ics-readers.test-support.ts';
import { calendarParts, inviteFor, MEETING_TITLE, parseMail, SITES } from './invite-fixtures.test-support.ts';
import { createMailFolderTransport, InvalidMailIdError, listMailFolder, MailNotFoundError, readMailFolderMessage } from './mail-folder.ts';

const directories: string[] = [];
afterEach(async () => {
  while (directories.length > 0) await rm(directories.pop()!, { recursive: true, force: true });
});

async function emptyDirectory(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'hoinghi-outbox-'));
  directories.push(dir);
  return dir;
}

/** A clock that ticks one second per call, so listing order is known. */
function tickingClock(start = Date.parse('2026-11-20T03:00:00Z')) {
  let calls = 0;
  return () => new Date(start + 1000 * calls++);
}

describe('local mail folder', () => {
  it('writes messages the secretariat can list, read back and open in a mail client', async () => {
    const root = await emptyDirectory();
    const dir = path.join(root, 'outbox'); // created on first send
    const outbox = createMailFolderTransport({ dir, now: tickingClock() });
    const invitation = composeInviteEmail(inviteFor(SITES[0]!));
    const { meeting, organizer, attendee, links } = inviteFor(SITES[1]!);
    const reminder = composeReminderEmail({ meeting, organizer, attendee, links, hoursBefore: 2 });

    const sent = await outbox.send(invitation.message);
    expect(sent.messageId).toBe(invitation.message.messageId);
    expect(sent.accepted.sort()).toEqual([SITES[0]!.email, ...SITES[0]!.otherContacts].sort());
    await outbox.send(reminder.message);

    const entries = await listMailFolder(dir);
    expect(entries.map((e) => e.subject)).toEqual([reminder.subject, invitation.subject]);
    expect(entries[1]).toMatchObject({
      createdAt: '2026-11-20T03:00:00.000Z',
      from: 'Văn phòng UBND tỉnh <vanphong@hoinghi.local>',
      to: [`${SITES[0]!.name} <${SITES[0]!.email}>`],
      cc: SITES[0]!.otherContacts,
      subject: `Giấy mời họp trực tuyến: ${MEETING_TITLE}`,
      calendarMethod: 'REQUEST',
    });
    expect(entries[0]?.calendarMethod).toBeNull();
    expect(await listMailFolder(dir, { limit: 1 })).toEqual([entries[0]]);

    const stored = await readMailFolderMessage(dir, entries[1]!.id);
    expect(stored.entry).toEqual(entries[1]);
    expect(stored.raw.length).toBe(entries[1]!.sizeBytes);
    expect(stored.ics).toBe(invitation.ics);
    expectWellFormedContentLines(stored.ics!);

    const mail = await parseMail(stored.raw);
    expect(mail.subject).toBe(invitation.subject);
    expect(mail.messageId).toBe(invitation.message.messageId);
    const parts = calendarParts(mail);
    expect(parts.contentTypeMethod).toBe('REQUEST');
    expect(readWithBothParsers(parts.alternativeIcs).events[0]?.summary).toBe(MEETING_TITLE);
    // .eml files are CRLF throughout, as on the wire.
    expect(stored.raw.toString('latin1')).not.toMatch(/[^\r]\n/);

    expect((await readMailFolderMessage(dir, entries[0]!.id)).ics).toBeNull();
    // Nothing half-written left behind.
    expect((await readdir(dir)).filter((name) => name.startsWith('.'))).toEqual([]);
  });

  it('refuses ids that could reach outside the folder', async () => {
    const dir = await emptyDirectory();
    await writeFile(path.join(path.dirname(dir), 'secret.json'), '{}');
    const hostile = [
      '../secret',
      '..%2Fsecret',
      '/etc/passwd',
      '20261120T030000000Z-0123456789abcdef/../../secret',
      '20261120T030000000Z-0123456789abcdef\u0000',
      '..\\secret',
      '',
    ];
    for (const id of hostile) {
      await expect(readMailFolderMessage(dir, id), JSON.stringify(id)).rejects.toBeInstanceOf(InvalidMailIdError);
    }
    await expect(readMailFolderMessage(dir, '20261120T030000000Z-0123456789abcdef')).rejects.toBeInstanceOf(MailNotFoundError);
    await rm(path.join(path.dirname(dir), 'secret.json'));
  });

  it('lists a missing folder as empty and skips a damaged summary', async () => {
    const dir = await emptyDirectory();
    expect(await listMailFolder(path.join(dir, 'never-created'))).toEqual([]);

    const outbox = createMailFolderTransport({ dir, now: tickingClock() });
    await outbox.send(composeInviteEmail(inviteFor(SITES[2]!)).message);
    await writeFile(path.join(dir, '20261120T040000000Z-00000000deadbeef.json'), '{ not json');
    await writeFile(path.join(dir, 'notes.json'), '{}');
    const entries = await listMailFolder(dir);
    expect(entries).toHaveLength(1);
    expect(entries[0]?.to).toEqual([`${SITES[2]!.name} <${SITES[2]!.email}>`]);
  });

  it('refuses to send once closed', async () => {
    const outbox = createMailFolderTransport({ dir: await emptyDirectory() });
    await outbox.close();
    await outbox.close();
    await expect(outbox.send(composeInviteEmail(inviteFor(SITES[0]!)).message)).rejects.toThrow(/closed/);
  });
});
