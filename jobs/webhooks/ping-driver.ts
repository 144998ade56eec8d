import type { Logger } from "pino";
import type { WebhookDeliveries } from "@/src/services/webhooks/webhook-deliveries.js";
import type { PingSender } from "./ping-sender.js";

/**
 * Drives one webhook: claims the next attempt in the database, sends it, records the outcome, and
 * goes on while pings are acknowledged and changes keep coming (each ping covers everything up to
 * then, so a burst of writes costs a few pings, not one per write). Shared by both engines.
 */
export class PingDriver {
  constructor(
    private readonly deliveries: WebhookDeliveries,
    private readonly send: PingSender,
    private readonly logger: Logger,
  ) {}

  /** Returns when the webhook's next attempt is due (a retry), or undefined when nothing is pending. */
  async drive(webhookId: string, signal: AbortSignal): Promise<Date | undefined> {
    while (!signal.aborted) {
      const claim = await this.deliveries.claim(webhookId);
      if (!("attempt" in claim)) return "nextAt" in claim ? claim.nextAt : undefined;
      const { attempt } = claim;
      let outcome: Awaited<ReturnType<PingSender>>;
      try {
        outcome = await this.send(attempt, signal);
      } catch {
        // Cancelled by shutdown: not the receiver's failure. Given back, it is due again at once
        // (for another instance, or this one after a restart); if even that fails, its lease runs out.
        await this.deliveries.release(attempt).catch(() => {});
        return undefined;
      }
      const result = await this.deliveries.finish(attempt, outcome);
      this.logger.debug(
        { webhookId, messageId: attempt.messageId, attempt: attempt.attempt, ...outcome },
        result.acknowledged ? "webhook ping acknowledged" : "webhook ping failed",
      );
      if (result.errored) {
        this.logger.warn(
          { webhookId, attempts: attempt.attempt, lastError: outcome.error, lastStatus: outcome.status },
          "webhook in ERROR after its last retry: no pings until it is reset",
        );
      }
      if (!result.acknowledged) return result.nextAt;
    }
    return undefined;
  }
}
