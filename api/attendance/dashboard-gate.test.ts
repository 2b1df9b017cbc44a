import { describe, expect, it } from 'vitest';
import { TooManyRequestsError } from '../errors.ts';
import { ComputationGate } from './dashboard-gate.ts';

describe('ComputationGate', () => {
  it('runs at most its bound at once, refuses the rest with 429, and frees a place when one ends (also on failure)', async () => {
    const gate = new ComputationGate(2);
    const releases: Array<(ok: boolean) => void> = [];
    const slow = () => gate.run(() => new Promise<string>((resolve, reject) => releases.push((ok) => (ok ? resolve('done') : reject(new Error('boom'))))));
    const first = slow();
    const second = slow();
    await expect(slow()).rejects.toBeInstanceOf(TooManyRequestsError);
    releases[0]!(false);
    await expect(first).rejects.toThrow('boom');
    const third = slow();
    await expect(slow()).rejects.toBeInstanceOf(TooManyRequestsError);
    releases[1]!(true);
    releases[2]!(true);
    expect(await Promise.all([second, third])).toEqual(['done', 'done']);
  });
});
