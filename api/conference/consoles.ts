/**
 * Which account opened the console of which meeting last. The SFU knows sites, not accounts;
 * when an account loses its sign-ins (deactivated, password reset) the composition root asks
 * here which consoles were that account's and has the SFU close them. Only the latest opener of
 * a meeting's console is kept: a console another secretariat has taken over since is theirs.
 */
export class ConsoleRegistry {
  readonly #latest = new Map<string, { userId: string; siteId: string }>();

  opened(userId: string, meetingId: string, siteId: string): void {
    this.#latest.set(meetingId, { userId, siteId });
  }

  /** The consoles the account opened last, forgotten as they are handed out. */
  takeOpenedBy(userId: string): Array<{ meetingId: string; siteId: string }> {
    const out: Array<{ meetingId: string; siteId: string }> = [];
    for (const [meetingId, entry] of this.#latest) {
      if (entry.userId !== userId) continue;
      out.push({ meetingId, siteId: entry.siteId });
      this.#latest.delete(meetingId);
    }
    return out;
  }
}
