import { Arg, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from "type-graphql";
import type { GraphQLContext } from "@/src/graphql/context.js";
import { CreateEventInput, Event, UpdateEventInput } from "@/src/graphql/types/event.type.js";
import { Question } from "@/src/graphql/types/question.type.js";
import { RegistrationType } from "@/src/graphql/types/registration-type.type.js";

@Resolver(() => Event)
export class EventResolver {
  @Query(() => [Event], { description: "The events the caller may see, by start date" })
  events(@Ctx() ctx: GraphQLContext) {
    return ctx.services.events.list(ctx.actor);
  }

  @Query(() => Event)
  event(@Arg("id", () => ID) id: string, @Ctx() ctx: GraphQLContext) {
    return ctx.services.events.get(ctx.actor, id);
  }

  @Mutation(() => Event)
  createEvent(@Arg("input", () => CreateEventInput) input: CreateEventInput, @Ctx() ctx: GraphQLContext) {
    return ctx.services.events.create(ctx.actor, input);
  }

  @Mutation(() => Event)
  updateEvent(
    @Arg("id", () => ID) id: string,
    @Arg("input", () => UpdateEventInput) input: UpdateEventInput,
    @Ctx() ctx: GraphQLContext,
  ) {
    return ctx.services.events.update(ctx.actor, id, input);
  }

  @FieldResolver(() => [RegistrationType], { description: "The event's own and the organisation-wide types" })
  registrationTypes(@Root() event: Event, @Ctx() ctx: GraphQLContext) {
    return ctx.loaders.eventRegistrationTypes.load(event.id);
  }

  @FieldResolver(() => [Question])
  questions(@Root() event: Event, @Ctx() ctx: GraphQLContext) {
    return ctx.loaders.eventQuestions.load(event.id);
  }
}
