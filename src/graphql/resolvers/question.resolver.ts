import { Arg, Ctx, ID, Mutation, Query, Resolver } from "type-graphql";
import type { GraphQLContext } from "@/src/graphql/context.js";
import { CreateQuestionInput, Question } from "@/src/graphql/types/question.type.js";

@Resolver(() => Question)
export class QuestionResolver {
  @Query(() => [Question])
  questions(@Arg("eventId", () => ID) eventId: string, @Ctx() ctx: GraphQLContext) {
    return ctx.services.questions.list(ctx.actor, eventId);
  }

  @Mutation(() => Question)
  createQuestion(
    @Arg("eventId", () => ID) eventId: string,
    @Arg("input", () => CreateQuestionInput) input: CreateQuestionInput,
    @Ctx() ctx: GraphQLContext,
  ) {
    return ctx.services.questions.create(ctx.actor, eventId, input);
  }
}
