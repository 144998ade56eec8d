/**
 * Keeps exactly one schedule per enabled background task (SPEC section 6). Two implementations:
 * BullMQ job schedulers on Redis (many instances) and timers in this process (one instance).
 */
export type TaskScheduler = {
  /** Makes the schedules match the database: one per enabled task, none for anything else. */
  reconcile(): Promise<void>;
  /** Brings one function's schedule in line after it was created, changed or deleted. */
  sync(functionId: string): Promise<void>;
  /** Stops scheduling and waits for runs in progress on this instance. */
  close(): Promise<void>;
};
