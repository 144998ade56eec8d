import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from "type-graphql";
import type { GraphQLContext } from "@/src/graphql/context.js";
import { FeedPageArgs, toConnection } from "@/src/graphql/types/connection.type.js";
import { RegistrationType } from "@/src/graphql/types/registration-type.type.js";
import {
  CreateVisitorInput,
  UpdateVisitorInput,
  Visitor,
  VisitorConnection,
  VisitorFilter,
} from "@/src/graphql/types/visitor.type.js";
import { MAX_BULK } from "@/src/services/record.service.js";
import { pageCost } from "./cost.js";

@Resolver(() => Visitor)
export class VisitorResolver {
  @Query(() => Visitor, { description: "A visitor, also when deleted (then a tombstone)" })
  visitor(
    @Arg("eventId", () => ID) eventId: string,
    @Arg("id", () => ID) id: string,
    @Ctx() ctx: GraphQLContext,
  ) {
    return ctx.services.visitors.get(ctx.actor, eventId, id);
  }

  @Query(() => VisitorConnection, {
    description: "The event's visitors in revision order: the change feed (tombstones included by default)",
    complexity: pageCost,
  })
  async visitors(
    @Arg("eventId", () => ID) eventId: string,
    @Args(() => FeedPageArgs) page: FeedPageArgs,
    @Arg("filter", () => VisitorFilter, { nullable: true }) filter: VisitorFilter | null,
    @Ctx() ctx: GraphQLContext,
  ) {
    return toConnection(await ctx.services.visitors.list(ctx.actor, eventId, { ...page, filter }));
  }

  @Mutation(() => Visitor)
  createVisitor(
    @Arg("eventId", () => ID) eventId: string,
    @Arg("input", () => CreateVisitorInput) input: CreateVisitorInput,
    @Ctx() ctx: GraphQLContext,
  ) {
    return ctx.services.visitors.create(ctx.actor, eventId, input);
  }

  @Mutation(() => [Visitor], {
    description: `Creates up to ${MAX_BULK} visitors at once, all or nothing; errors name inputs.<index>.<field>`,
  })
  createVisitors(
    @Arg("eventId", () => ID) eventId: string,
    @Arg("inputs", () => [CreateVisitorInput]) inputs: CreateVisitorInput[],
    @Ctx() ctx: GraphQLContext,
  ) {
    return ctx.services.visitors.createMany(ctx.actor, eventId, inputs);
  }

  @Mutation(() => Visitor)
  updateVisitor(
    @Arg("eventId", () => ID) eventId: string,
    @Arg("id", () => ID) id: string,
    @Arg("input", () => UpdateVisitorInput) input: UpdateVisitorInput,
    @Ctx() ctx: GraphQLContext,
  ) {
    return ctx.services.visitors.update(ctx.actor, eventId, id, input);
  }

  @Mutation(() => Visitor, { description: "Soft delete; returns the tombstone with its new revision" })
  deleteVisitor(
    @Arg("eventId", () => ID) eventId: string,
    @Arg("id", () => ID) id: string,
    @Ctx() ctx: GraphQLContext,
  ) {
    return ctx.services.visitors.delete(ctx.actor, eventId, id);
  }

  @FieldResolver(() => RegistrationType, { nullable: true })
  registrationType(@Root() visitor: Visitor, @Ctx() ctx: GraphQLContext) {
    return visitor.registrationTypeId ? ctx.loaders.registrationType.load(visitor.registrationTypeId) : null;
  }
}
