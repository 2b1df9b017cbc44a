/**
 * A task asked for often and run seldom: the cascade's sync (what crosses between nodes) is
 * recomputed after every change of a room, and a join storm makes thousands of changes. A
 * request runs the task after the current tick; requests while it waits or runs make it run
 * once more afterwards, never twice at once.
 */
export class CoalescedTask {
  #running: Promise<void> | undefined;
  #again = false;

  constructor(
    private readonly task: () => Promise<void>,
    private readonly onError: (err: unknown) => void,
  ) {}

  request(): void {
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => this.task())
      .catch(this.onError)
      .finally(() => {
        this.#running = undefined;
        if (this.#again) {
          this.#again = false;
          this.request();
        }
      });
  }

  /** Resolves when no run is pending (one asked for during the wait included). */
  async settled(): Promise<void> {
    while (this.#running) await this.#running;
  }
}
