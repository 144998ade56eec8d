import { Arg, Ctx, ID, Int, Mutation, Query, Resolver } from "type-graphql";
import type { GraphQLContext } from "@/src/graphql/context.js";
import { Organisation, UpdatedOrganisation } from "@/src/graphql/types/user.type.js";
import {
  CreatedWebhook,
  CreateWebhookInput,
  UpdateOrganisationInput,
  UpdateWebhookInput,
  Webhook,
  WebhookAuditEntry,
  WebhookDelivery,
} from "@/src/graphql/types/webhook.type.js";

const FIRST = { nullable: true, description: "1 to 100, default 100" } as const;
const BEFORE = { nullable: true, description: "Entries before this time, for paging" } as const;

@Resolver(() => Webhook)
export class WebhookResolver {
  @Query(() => [Webhook], {
    description: "The event's webhooks (API keys in scope may manage them, read-only too)",
  })
  webhooks(@Arg("eventId", () => ID) eventId: string, @Ctx() ctx: GraphQLContext) {
    return ctx.services.webhooks.list(ctx.actor, eventId);
  }

  @Query(() => Webhook)
  webhook(
    @Arg("eventId", () => ID) eventId: string,
    @Arg("id", () => ID) id: string,
    @Ctx() ctx: GraphQLContext,
  ) {
    return ctx.services.webhooks.get(ctx.actor, eventId, id);
  }

  @Mutation(() => CreatedWebhook, {
    description: "Starts at the latest revision; returns the signing secret once (it is stored encrypted)",
  })
  createWebhook(
    @Arg("eventId", () => ID) eventId: string,
    @Arg("input", () => CreateWebhookInput) input: CreateWebhookInput,
    @Ctx() ctx: GraphQLContext,
  ) {
    return ctx.services.webhooks.create(ctx.actor, eventId, input);
  }

  @Mutation(() => Webhook)
  updateWebhook(
    @Arg("eventId", () => ID) eventId: string,
    @Arg("id", () => ID) id: string,
    @Arg("input", () => UpdateWebhookInput) input: UpdateWebhookInput,
    @Ctx() ctx: GraphQLContext,
  ) {
    return ctx.services.webhooks.update(ctx.actor, eventId, id, input);
  }

  @Mutation(() => Webhook)
  deleteWebhook(
    @Arg("eventId", () => ID) eventId: string,
    @Arg("id", () => ID) id: string,
    @Ctx() ctx: GraphQLContext,
  ) {
    return ctx.services.webhooks.delete(ctx.actor, eventId, id);
  }

  @Query(() => [WebhookDelivery], {
    description: "A webhook's attempts, newest first (the last 100 are kept)",
  })
  webhookDeliveries(
    @Arg("webhookId", () => ID) webhookId: string,
    @Arg("first", () => Int, FIRST) first: number | null,
    @Arg("before", () => Date, BEFORE) before: Date | null,
    @Ctx() ctx: GraphQLContext,
  ) {
    return ctx.services.webhooks.deliveries(ctx.actor, webhookId, { first, before });
  }

  @Query(() => [WebhookAuditEntry], {
    description: "Who created, changed, reset or deleted webhooks; newest first (first: 1 to 500)",
  })
  webhookAuditLog(
    @Arg("eventId", () => ID, { nullable: true }) eventId: string | null,
    @Arg("webhookId", () => ID, { nullable: true }) webhookId: string | null,
    @Arg("first", () => Int, { nullable: true }) first: number | null,
    @Arg("before", () => Date, BEFORE) before: Date | null,
    @Ctx() ctx: GraphQLContext,
  ) {
    return ctx.services.webhooks.auditLog(ctx.actor, { eventId, webhookId, first, before });
  }

  @Query(() => Organisation, { description: "The caller's organisation and its notification URL (ADMIN)" })
  organisation(@Ctx() ctx: GraphQLContext) {
    return ctx.services.notificationUrl.get(ctx.actor);
  }

  @Mutation(() => UpdatedOrganisation, {
    description: "Sets, changes, removes or resets the notification URL (ADMIN)",
  })
  updateOrganisation(
    @Arg("input", () => UpdateOrganisationInput) input: UpdateOrganisationInput,
    @Ctx() ctx: GraphQLContext,
  ) {
    return ctx.services.notificationUrl.update(ctx.actor, input);
  }

  @Query(() => [WebhookDelivery], { description: "The notification URL's attempts, newest first (ADMIN)" })
  notificationDeliveries(
    @Arg("first", () => Int, FIRST) first: number | null,
    @Arg("before", () => Date, BEFORE) before: Date | null,
    @Ctx() ctx: GraphQLContext,
  ) {
    return ctx.services.notificationUrl.deliveries(ctx.actor, { first, before });
  }

  @Query(() => [WebhookAuditEntry], { description: "Who changed the notification URL; newest first (ADMIN)" })
  notificationAuditLog(
    @Arg("first", () => Int, { nullable: true }) first: number | null,
    @Arg("before", () => Date, BEFORE) before: Date | null,
    @Ctx() ctx: GraphQLContext,
  ) {
    return ctx.services.notificationUrl.auditLog(ctx.actor, { first, before });
  }
}
