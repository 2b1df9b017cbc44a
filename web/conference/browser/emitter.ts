/** A minimal typed event emitter for the browser code (no Node `events` in the bundle). */
type Listener = (...args: never[]) => void;

export class Emitter<Events extends Record<string, unknown[]>> {
  readonly #listeners = new Map<keyof Events, Set<Listener>>();

  /** Subscribes; returns the unsubscribe function. */
  on<K extends keyof Events>(event: K, listener: (...args: Events[K]) => void): () => void {
    let set = this.#listeners.get(event);
    if (!set) this.#listeners.set(event, (set = new Set()));
    const stored = listener as unknown as Listener;
    set.add(stored);
    return () => set.delete(stored);
  }

  protected emit<K extends keyof Events>(event: K, ...args: Events[K]): void {
    for (const listener of [...(this.#listeners.get(event) ?? [])]) {
      // A broken listener (page code) must not break the emitter's owner.
      try {
        (listener as unknown as (...a: Events[K]) => void)(...args);
      } catch (err) {
        console.error(`listener for ${String(event)} failed`, err);
      }
    }
  }
}
