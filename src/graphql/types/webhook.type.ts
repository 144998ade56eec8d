import { Field, ID, InputType, Int, ObjectType, registerEnumType } from "type-graphql";
import { WEBHOOK_AUDIT_ACTIONS, WEBHOOK_STATES, WEBHOOK_TYPES } from "@/schema/tables/index.js";
import { JSONScalar, RevisionScalar } from "@/src/graphql/scalars.js";
import { enumObject } from "./enums.js";

export const WebhookType = enumObject(WEBHOOK_TYPES);
export const WebhookState = enumObject(WEBHOOK_STATES);
export const WebhookAuditAction = enumObject(WEBHOOK_AUDIT_ACTIONS);
registerEnumType(WebhookType, {
  name: "WebhookType",
  description: "Which records of its event a webhook reports",
});
registerEnumType(WebhookState, {
  name: "WebhookState",
  description: "WAIT: delivering. ERROR: the last retry failed; no pings until an update sets WAIT.",
});
registerEnumType(WebhookAuditAction, { name: "WebhookAuditAction" });

/** What webhooks and the notification URL share: where delivery stands. */
@ObjectType({ simpleResolvers: true })
abstract class DeliveryStatus {
  @Field(() => String) url!: string;
  @Field(() => WebhookState) state!: keyof typeof WebhookState;
  @Field(() => Int, { description: "Failed attempts of the current ping; 0 after an acknowledged one" })
  errorCount!: number;
  @Field(() => RevisionScalar, { description: "Every change up to here was acknowledged by the receiver" })
  deliveredRevision!: number;
  @Field(() => RevisionScalar, {
    nullable: true,
    description: "The ping in flight (sent, or waiting for a retry) covers changes up to here",
  })
  coveredRevision!: number | null;
  @Field(() => Date, { nullable: true, description: "When the ping in flight is (re)tried" })
  nextAttemptAt!: Date | null;
  @Field(() => Date, { nullable: true }) lastSentAt!: Date | null;
  @Field(() => Int, { nullable: true, description: "HTTP status of the last attempt, if it got an answer" })
  lastStatus!: number | null;
  @Field(() => String, { nullable: true, description: "Why the last attempt failed without an answer" })
  lastError!: string | null;
  @Field(() => Date) createdAt!: Date;
  @Field(() => Date) updatedAt!: Date;
}

@ObjectType({
  simpleResolvers: true,
  description:
    "Pings GET <url>?expoId=<eventId>&webhookId=<id> when records of its type change; pull them with filter: {webhookId}, then answer 2xx.",
})
export class Webhook extends DeliveryStatus {
  @Field(() => ID) id!: string;
  @Field(() => ID) eventId!: string;
  @Field(() => WebhookType) type!: keyof typeof WebhookType;
  @Field(() => Boolean) enabled!: boolean;
}

@ObjectType({
  simpleResolvers: true,
  description: "The organisation's notification URL and its delivery state",
})
export class NotificationUrl extends DeliveryStatus {}

@ObjectType({ simpleResolvers: true })
export class CreatedWebhook {
  @Field(() => Webhook) webhook!: Webhook;
  @Field(() => String, {
    description:
      "The signing secret (whsec_...): shown only now. Verify the webhook-signature header with it.",
  })
  secret!: string;
}

@InputType()
export class CreateWebhookInput {
  @Field(() => WebhookType) type!: keyof typeof WebhookType;
  @Field(() => String, { description: "http(s); public addresses only, unless the operator allows the host" })
  url!: string;
  @Field(() => Boolean, { nullable: true, description: "Defaults to true" }) enabled?: boolean | null;
}

@InputType()
export class UpdateWebhookInput {
  @Field(() => String, { nullable: true }) url?: string | null;
  @Field(() => Boolean, { nullable: true }) enabled?: boolean | null;
  @Field(() => WebhookState, {
    nullable: true,
    description:
      "WAIT resets: clears ERROR and the retry ladder; the next ping covers everything undelivered",
  })
  state?: keyof typeof WebhookState | null;
}

@ObjectType({ simpleResolvers: true, description: "One attempt to ping a webhook or the notification URL" })
export class WebhookDelivery {
  @Field(() => ID) id!: string;
  @Field(() => ID) webhookId!: string;
  @Field(() => Date) at!: Date;
  @Field(() => String, { description: "The webhook-id header: the same for every attempt of one ping" })
  messageId!: string;
  @Field(() => RevisionScalar) coveredRevision!: number;
  @Field(() => Int, { description: "1 for the first attempt, 2 for the first retry, ..." }) attempt!: number;
  @Field(() => Int, { nullable: true, description: "The HTTP status, when an answer came" }) status!:
    | number
    | null;
  @Field(() => String, { nullable: true, description: "Timeout, refused address, connection error, ..." })
  error!: string | null;
  @Field(() => Int) durationMs!: number;
}

@ObjectType({ simpleResolvers: true })
export class WebhookAuditEntry {
  @Field(() => ID) id!: string;
  @Field(() => ID) webhookId!: string;
  @Field(() => ID, { nullable: true, description: "Null for the notification URL" }) eventId!: string | null;
  @Field(() => WebhookAuditAction) action!: keyof typeof WebhookAuditAction;
  @Field(() => ID, { nullable: true, description: "The user who made the change" }) userId!: string | null;
  @Field(() => ID, { nullable: true, description: "The API key that made the change" }) apiKeyId!:
    | string
    | null;
  @Field(() => JSONScalar, { description: "Changed fields: { field: { from, to } }" }) changes!: unknown;
  @Field(() => Date) at!: Date;
}

@InputType()
export class UpdateOrganisationInput {
  @Field(() => String, {
    nullable: true,
    description:
      "GET <url>?event=<eventId>&visitor=<visitorId> once per change that leaves a visitor REGISTERED; null removes it",
  })
  notificationUrl?: string | null;
  @Field(() => WebhookState, { nullable: true, description: "WAIT resets the notification URL after ERROR" })
  notificationState?: keyof typeof WebhookState | null;
}
