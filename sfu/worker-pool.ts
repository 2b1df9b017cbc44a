/**
 * The mediasoup worker pool: one worker process per slot, each with a WebRtcServer on its own
 * port (base + slot; UDP preferred, TCP as fallback for sites behind strict firewalls).
 *
 * It owns the workers' lifecycles: it counts each worker's consumers through mediasoup's
 * observers (so rooms need not report load), hands out the least-loaded worker, and when a
 * worker dies it handles that exactly once: tells its listeners (rooms on it must send their
 * sites to rejoin) and starts a replacement in the same slot, on the same port.
 *
 * It also owns what is process-wide about mediasoup: its log lines go to our pino logger, and
 * the kernel's socket buffer limits are checked once at start-up (sfu/socket-buffers.ts).
 */
import type { Logger } from 'pino';
import type { types as ms } from 'mediasoup';
import type { SfuConfig } from './config.ts';
import { warnIfKernelCapsBuffers } from './socket-buffers.ts';
import { loadMediasoup, type Mediasoup } from './worker-binary.ts';

export interface WorkerSlot {
  readonly index: number;
  readonly worker: ms.Worker;
  readonly webRtcServer: ms.WebRtcServer;
  /** Live consumers on this worker, pipe consumers included. */
  readonly consumerCount: number;
  readonly routerCount: number;
}

export interface WorkerDiedEvent {
  slot: number;
  pid: number;
  error: Error;
}

type WorkerDiedListener = (event: WorkerDiedEvent) => void;

class Slot implements WorkerSlot {
  consumerCount = 0;
  routerCount = 0;
  constructor(
    readonly index: number,
    readonly worker: ms.Worker,
    readonly webRtcServer: ms.WebRtcServer,
  ) {}
}

export class WorkerPool {
  readonly #slots: (Slot | undefined)[];
  readonly #diedListeners = new Set<WorkerDiedListener>();
  readonly #replacing = new Map<number, Promise<void>>();
  #closed = false;

  private constructor(
    private readonly mediasoup: Mediasoup,
    private readonly config: SfuConfig,
    private readonly log: Logger,
  ) {
    this.#slots = new Array<Slot | undefined>(config.numWorkers).fill(undefined);
  }

  static async create(config: SfuConfig, log: Logger): Promise<WorkerPool> {
    const mediasoup = await loadMediasoup(config);
    const msLog = log.child({ component: 'mediasoup' });
    // Without listeners mediasoup logs through `debug`, which is silent unless DEBUG is set.
    mediasoup.setLogEventListeners({
      onwarn: (namespace, msg) => msLog.warn({ namespace }, msg),
      onerror: (namespace, msg, err) => msLog.error({ namespace, err }, msg),
    });
    const poolLog = log.child({ component: 'worker-pool' });
    warnIfKernelCapsBuffers(config, poolLog);
    const pool = new WorkerPool(mediasoup, config, poolLog);
    try {
      for (let i = 0; i < config.numWorkers; i++) await pool.#start(i);
    } catch (err) {
      pool.close();
      throw err;
    }
    return pool;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** The live slots (a slot whose worker died is absent until its replacement is up). */
  slots(): readonly WorkerSlot[] {
    return this.#slots.filter((s): s is Slot => s !== undefined);
  }

  slotOf(worker: ms.Worker): WorkerSlot | undefined {
    return this.slots().find((s) => s.worker === worker);
  }

  /** Least consumers first, then fewest routers; `exclude` skips workers a room already uses. */
  leastLoaded(exclude: ReadonlySet<ms.Worker> = new Set()): WorkerSlot | undefined {
    const candidates = this.slots().filter((s) => !exclude.has(s.worker) && !s.worker.closed);
    candidates.sort((a, b) => a.consumerCount - b.consumerCount || a.routerCount - b.routerCount || a.index - b.index);
    return candidates[0];
  }

  /** Called once per dead worker, after its routers have closed. Returns an unsubscribe function. */
  onWorkerDied(listener: WorkerDiedListener): () => void {
    this.#diedListeners.add(listener);
    return () => this.#diedListeners.delete(listener);
  }

  /** Resolves when every slot has a live worker again (tests, and health checks). */
  async ready(): Promise<void> {
    while (this.#replacing.size > 0) await Promise.all(this.#replacing.values());
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const slot of this.#slots) slot?.worker.close();
    this.#slots.fill(undefined);
    this.#diedListeners.clear();
  }

  async #start(index: number): Promise<void> {
    const { config } = this;
    // Ports are per transport now (listen infos' port / portRange), not per worker.
    const worker = await this.mediasoup.createWorker({ logLevel: 'warn', appData: { slot: index } });
    if (this.#closed) {
      worker.close();
      return;
    }
    let webRtcServer: ms.WebRtcServer;
    try {
      const port = config.webRtcPortBase + index;
      const listen = {
        ip: config.listenIp,
        port,
        ...(config.announcedAddress ? { announcedAddress: config.announcedAddress } : {}),
        recvBufferSize: config.recvBufferBytes,
        sendBufferSize: config.sendBufferBytes,
      };
      webRtcServer = await worker.createWebRtcServer({
        listenInfos: [
          { protocol: 'udp', ...listen },
          { protocol: 'tcp', ...listen },
        ],
      });
    } catch (err) {
      worker.close();
      throw err;
    }
    const slot = new Slot(index, worker, webRtcServer);
    this.#slots[index] = slot;
    this.#observe(slot);
    // `once`: a worker dies once; the handler must never run twice for it.
    worker.once('died', (error) => this.#onDied(slot, error));
    this.log.info({ slot: index, pid: worker.pid, port: config.webRtcPortBase + index }, 'worker started');
  }

  #observe(slot: Slot): void {
    slot.worker.observer.on('newrouter', (router) => {
      slot.routerCount++;
      router.observer.once('close', () => slot.routerCount--);
      router.observer.on('newtransport', (transport) => {
        transport.observer.on('newconsumer', (consumer) => {
          slot.consumerCount++;
          consumer.observer.once('close', () => slot.consumerCount--);
        });
      });
    });
  }

  #onDied(slot: Slot, error: Error): void {
    if (this.#slots[slot.index] !== slot) return;
    this.#slots[slot.index] = undefined;
    const event: WorkerDiedEvent = { slot: slot.index, pid: slot.worker.pid, error };
    this.log.error({ slot: slot.index, pid: event.pid, err: error }, 'worker died; replacing it');
    for (const listener of [...this.#diedListeners]) {
      try {
        listener(event);
      } catch (err) {
        this.log.error({ err, slot: slot.index }, 'worker-died listener failed');
      }
    }
    if (!this.#closed) this.#replace(slot.index);
  }

  /** Restarts a slot, retrying with backoff: the dead worker's port may take a moment to free. */
  #replace(index: number): void {
    const attempt = async () => {
      for (let delay = 100; !this.#closed; delay = Math.min(delay * 2, 5000)) {
        try {
          await this.#start(index);
          return;
        } catch (err) {
          this.log.error({ err, slot: index, retryInMs: delay }, 'worker replacement failed');
          await new Promise((r) => setTimeout(r, delay));
        }
      }
    };
    const p = attempt().finally(() => this.#replacing.delete(index));
    this.#replacing.set(index, p);
  }
}
