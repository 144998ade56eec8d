import { Arg, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from "type-graphql";
import type { GraphQLContext } from "@/src/graphql/context.js";
import { RegistrationTypeLevel } from "@/src/graphql/types/enums.js";
import { CreateRegistrationTypeInput, RegistrationType } from "@/src/graphql/types/registration-type.type.js";

@Resolver(() => RegistrationType)
export class RegistrationTypeResolver {
  @Query(() => [RegistrationType], {
    description:
      "With eventId: that event's types and the organisation-wide ones; without: the organisation-wide ones",
  })
  registrationTypes(
    @Arg("eventId", () => ID, { nullable: true }) eventId: string | null,
    @Ctx() ctx: GraphQLContext,
  ) {
    return ctx.services.registrationTypes.list(ctx.actor, eventId);
  }

  @Mutation(() => RegistrationType, {
    description: "Without eventId the type belongs to the whole organisation",
  })
  createRegistrationType(
    @Arg("eventId", () => ID, { nullable: true }) eventId: string | null,
    @Arg("input", () => CreateRegistrationTypeInput) input: CreateRegistrationTypeInput,
    @Ctx() ctx: GraphQLContext,
  ) {
    return ctx.services.registrationTypes.create(ctx.actor, eventId, input);
  }

  @FieldResolver(() => RegistrationTypeLevel, {
    description: "EXPO when the type belongs to one event (eventId set), ORGANIZATION when to all",
  })
  level(@Root() type: RegistrationType): keyof typeof RegistrationTypeLevel {
    return type.eventId === null ? "ORGANIZATION" : "EXPO";
  }
}
