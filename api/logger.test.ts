import { Writable } from 'node:stream';
import { DrizzleQueryError } from 'drizzle-orm/errors';
import { expect, it } from 'vitest';
import { createLogger } from './logger.ts';

it('never logs the parameters of a failed query', () => {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  const logger = createLogger('error', sink);
  const secret = '$argon2id$v=19$m=19456,t=2,p=1$secret-hash';
  const error = new DrizzleQueryError('insert into "users" ("email", "password_hash") values ($1, $2)', ['a@b.vn', secret], new Error('connection lost'));
  logger.error({ err: error }, 'unhandled error');
  expect(lines).toHaveLength(1);
  expect(lines[0]).not.toContain(secret);
  expect(lines[0]).toContain('insert into');
  expect(lines[0]).toContain('connection lost');
});
