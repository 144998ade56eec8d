/** Which change feed moved: an event's visitors or partners. */
export type FeedChange = { organisationId: string; eventId: string; kind: "VISITOR" | "PARTNER" };

/**
 * Tells this process's listeners (the webhook engine) that a write to a change feed has committed.
 * A hint only: listeners re-read the database, and a missed signal is caught by their reconcile.
 */
export class FeedSignal {
  private readonly listeners: ((change: FeedChange) => void)[] = [];

  listen(listener: (change: FeedChange) => void): void {
    this.listeners.push(listener);
  }

  /** Called after the commit; a listener's failure never reaches the writer. */
  emit(change: FeedChange): void {
    for (const listener of this.listeners) {
      try {
        listener(change);
      } catch {
        // The reconcile delivers what this signal would have started.
      }
    }
  }
}
