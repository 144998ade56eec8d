import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from "type-graphql";
import type { GraphQLContext } from "@/src/graphql/context.js";
import { FeedPageArgs, toConnection } from "@/src/graphql/types/connection.type.js";
import {
  CreatePartnerInput,
  Partner,
  PartnerConnection,
  PartnerFilter,
  UpdatePartnerInput,
} from "@/src/graphql/types/partner.type.js";
import { RegistrationType } from "@/src/graphql/types/registration-type.type.js";
import { MAX_BULK } from "@/src/services/record.service.js";
import { pageCost } from "./cost.js";

@Resolver(() => Partner)
export class PartnerResolver {
  @Query(() => Partner, { description: "A partner, also when deleted (then a tombstone)" })
  partner(
    @Arg("eventId", () => ID) eventId: string,
    @Arg("id", () => ID) id: string,
    @Ctx() ctx: GraphQLContext,
  ) {
    return ctx.services.partners.get(ctx.actor, eventId, id);
  }

  @Query(() => PartnerConnection, {
    description: "The event's partners in revision order: the change feed (tombstones included by default)",
    complexity: pageCost,
  })
  async partners(
    @Arg("eventId", () => ID) eventId: string,
    @Args(() => FeedPageArgs) page: FeedPageArgs,
    @Arg("filter", () => PartnerFilter, { nullable: true }) filter: PartnerFilter | null,
    @Ctx() ctx: GraphQLContext,
  ) {
    return toConnection(await ctx.services.partners.list(ctx.actor, eventId, { ...page, filter }));
  }

  @Mutation(() => Partner)
  createPartner(
    @Arg("eventId", () => ID) eventId: string,
    @Arg("input", () => CreatePartnerInput) input: CreatePartnerInput,
    @Ctx() ctx: GraphQLContext,
  ) {
    return ctx.services.partners.create(ctx.actor, eventId, input);
  }

  @Mutation(() => [Partner], {
    description: `Creates up to ${MAX_BULK} partners at once, all or nothing; errors name inputs.<index>.<field>`,
  })
  createPartners(
    @Arg("eventId", () => ID) eventId: string,
    @Arg("inputs", () => [CreatePartnerInput]) inputs: CreatePartnerInput[],
    @Ctx() ctx: GraphQLContext,
  ) {
    return ctx.services.partners.createMany(ctx.actor, eventId, inputs);
  }

  @Mutation(() => Partner)
  updatePartner(
    @Arg("eventId", () => ID) eventId: string,
    @Arg("id", () => ID) id: string,
    @Arg("input", () => UpdatePartnerInput) input: UpdatePartnerInput,
    @Ctx() ctx: GraphQLContext,
  ) {
    return ctx.services.partners.update(ctx.actor, eventId, id, input);
  }

  @Mutation(() => Partner, { description: "Soft delete; returns the tombstone with its new revision" })
  deletePartner(
    @Arg("eventId", () => ID) eventId: string,
    @Arg("id", () => ID) id: string,
    @Ctx() ctx: GraphQLContext,
  ) {
    return ctx.services.partners.delete(ctx.actor, eventId, id);
  }

  @FieldResolver(() => RegistrationType, { nullable: true })
  registrationType(@Root() partner: Partner, @Ctx() ctx: GraphQLContext) {
    return partner.registrationTypeId ? ctx.loaders.registrationType.load(partner.registrationTypeId) : null;
  }
}
