import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from "type-graphql";
import type { GraphQLContext } from "@/src/graphql/context.js";
import { CreateEventInput, Event, EventFilter, UpdateEventInput } from "@/src/graphql/types/event.type.js";
import { Question } from "@/src/graphql/types/question.type.js";
import { RegistrationType } from "@/src/graphql/types/registration-type.type.js";
import { MAX_PAGE_SIZE } from "@/src/services/change-feed.js";

@Resolver(() => Event)
export class EventResolver {
  @Query(() => [Event], {
    description:
      "The events the caller may see: all of them by start date or, with `first` or `filter`, one page in revision order (the change feed of events)",
  })
  events(
    @Arg("filter", () => EventFilter, { nullable: true }) filter: EventFilter | null,
    @Arg("first", () => Int, {
      nullable: true,
      description: `Page size, 1 to ${MAX_PAGE_SIZE} (default ${MAX_PAGE_SIZE} when paging)`,
    })
    first: number | null,
    @Ctx() ctx: GraphQLContext,
  ) {
    return ctx.services.events.list(ctx.actor, { first, filter });
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
