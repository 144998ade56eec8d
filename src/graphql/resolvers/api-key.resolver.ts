import { Arg, Ctx, ID, Int, Mutation, Query, Resolver } from "type-graphql";
import type { GraphQLContext } from "@/src/graphql/context.js";
import {
  ApiCallType,
  ApiKey,
  ApiKeyAuditEntry,
  ApiStatisticsBucket,
  CreateApiKeyInput,
  CreatedApiKey,
  StatisticsResolution,
  UpdateApiKeyInput,
} from "@/src/graphql/types/api-key.type.js";

@Resolver(() => ApiKey)
export class ApiKeyResolver {
  @Query(() => [ApiKey])
  apiKeys(@Ctx() ctx: GraphQLContext) {
    return ctx.services.apiKeys.list(ctx.actor);
  }

  @Query(() => ApiKey)
  apiKey(@Arg("id", () => ID) id: string, @Ctx() ctx: GraphQLContext) {
    return ctx.services.apiKeys.get(ctx.actor, id);
  }

  @Mutation(() => CreatedApiKey, { description: "Returns the secret once; only its hash is stored" })
  createApiKey(@Arg("input", () => CreateApiKeyInput) input: CreateApiKeyInput, @Ctx() ctx: GraphQLContext) {
    return ctx.services.apiKeys.create(ctx.actor, input);
  }

  @Mutation(() => ApiKey, { description: "Takes effect at once on every instance" })
  updateApiKey(
    @Arg("id", () => ID) id: string,
    @Arg("input", () => UpdateApiKeyInput) input: UpdateApiKeyInput,
    @Ctx() ctx: GraphQLContext,
  ) {
    return ctx.services.apiKeys.update(ctx.actor, id, input);
  }

  @Mutation(() => ApiKey)
  deleteApiKey(@Arg("id", () => ID) id: string, @Ctx() ctx: GraphQLContext) {
    return ctx.services.apiKeys.delete(ctx.actor, id);
  }

  @Query(() => [ApiKeyAuditEntry], {
    description: "Who created, changed, disabled or deleted keys; newest first",
  })
  apiKeyAuditLog(
    @Arg("apiKeyId", () => ID, { nullable: true }) apiKeyId: string | null,
    @Arg("first", () => Int, { nullable: true, description: "1 to 500, default 100" }) first: number | null,
    @Arg("before", () => Date, { nullable: true, description: "Entries before this time, for paging" })
    before: Date | null,
    @Ctx() ctx: GraphQLContext,
  ) {
    return ctx.services.apiKeys.auditLog(ctx.actor, { apiKeyId, first, before });
  }

  @Query(() => [ApiStatisticsBucket], {
    description: "Calls per bucket [from, until) by type and API key (or user); all keys in one answer",
  })
  apiStatistics(
    @Arg("from", () => Date) from: Date,
    @Arg("until", () => Date) until: Date,
    @Arg("resolution", () => StatisticsResolution) resolution: keyof typeof StatisticsResolution,
    @Arg("types", () => [ApiCallType], { nullable: true }) types: (keyof typeof ApiCallType)[] | null,
    @Arg("apiKeyIds", () => [ID], { nullable: true }) apiKeyIds: string[] | null,
    @Ctx() ctx: GraphQLContext,
  ) {
    return ctx.services.statistics.query(ctx.actor, { from, until, resolution, types, apiKeyIds });
  }
}
