/**
 * Builds and drives the floor forwarder (sfu-floor.c): the same packets the SFU gets, relayed by
 * the simplest native program that gives every receiver its copies. Needs the machine's `cc`.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { MeetingPlan } from './sfu-media.ts';

const source = fileURLToPath(new URL('./sfu-floor.c', import.meta.url));

export interface FloorStats {
  cpuMicros: number;
  packetsIn: number;
  packetsOut: number;
  sendErrors: number;
}

export class FloorForwarder {
  readonly #lines: AsyncIterator<string>;

  private constructor(
    private readonly child: ChildProcessWithoutNullStreams,
    private readonly dir: string,
    readonly port: number,
    lines: AsyncIterator<string>,
  ) {
    this.#lines = lines;
  }

  /** Compiles the forwarder and starts it with routes for `plan` (stream SSRC → receiver ports). */
  static async start(plan: MeetingPlan, receiverPort: (participant: number) => number): Promise<FloorForwarder> {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hoinghi-sfu-floor-'));
    try {
      const bin = path.join(dir, 'sfu-floor');
      const cc = spawnSync('cc', ['-O2', '-o', bin, source], { encoding: 'utf8' });
      if (cc.error || cc.status !== 0) {
        throw new Error(`cannot compile the floor forwarder with cc: ${cc.error?.message ?? cc.stderr}`);
      }
      const routes = path.join(dir, 'routes');
      writeFileSync(routes, plan.streams.map((s) => [s.ssrc, ...s.receivers.map(receiverPort)].join(' ')).join('\n') + '\n');
      const child = spawn(bin, [routes], { stdio: ['pipe', 'pipe', 'pipe'] });
      child.stderr.on('data', (d: Buffer) => process.stderr.write(`[sfu-floor] ${d.toString()}`));
      const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
      const first = await lines.next();
      const port = Number(first.value);
      if (first.done || !Number.isInteger(port) || port <= 0) throw new Error('the floor forwarder did not start');
      return new FloorForwarder(child, dir, port, lines);
    } catch (err) {
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
  }

  async stats(): Promise<FloorStats> {
    this.child.stdin.write('stats\n');
    const line = await this.#lines.next();
    if (line.done) throw new Error('the floor forwarder exited');
    const [cpuMicros = NaN, packetsIn = NaN, packetsOut = NaN, sendErrors = NaN] = line.value.split(' ').map(Number);
    return { cpuMicros, packetsIn, packetsOut, sendErrors };
  }

  async close(): Promise<void> {
    if (this.child.exitCode === null) {
      const exited = new Promise((resolve) => this.child.once('exit', resolve));
      this.child.stdin.end();
      await exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
