import { Arg, Ctx, ID, Int, Mutation, Query, Resolver } from "type-graphql";
import type { GraphQLContext } from "@/src/graphql/context.js";
import { JSONScalar } from "@/src/graphql/scalars.js";
import {
  CreateFunctionInput,
  FunctionRun,
  FunctionRunPage,
  UpdateFunctionInput,
  UserFunction,
} from "@/src/graphql/types/function.type.js";

@Resolver(() => UserFunction)
export class FunctionResolver {
  @Query(() => [UserFunction])
  functions(@Ctx() ctx: GraphQLContext) {
    return ctx.services.functions.list(ctx.actor);
  }

  @Query(() => UserFunction)
  function(@Arg("id", () => ID) id: string, @Ctx() ctx: GraphQLContext) {
    return ctx.services.functions.get(ctx.actor, id);
  }

  @Mutation(() => UserFunction, {
    description: "The code is compiled first: a syntax error names its line and column",
  })
  createFunction(
    @Arg("input", () => CreateFunctionInput) input: CreateFunctionInput,
    @Ctx() ctx: GraphQLContext,
  ) {
    return ctx.services.functions.create(ctx.actor, input);
  }

  @Mutation(() => UserFunction)
  updateFunction(
    @Arg("id", () => ID) id: string,
    @Arg("input", () => UpdateFunctionInput) input: UpdateFunctionInput,
    @Ctx() ctx: GraphQLContext,
  ) {
    return ctx.services.functions.update(ctx.actor, id, input);
  }

  @Mutation(() => UserFunction)
  deleteFunction(@Arg("id", () => ID) id: string, @Ctx() ctx: GraphQLContext) {
    return ctx.services.functions.delete(ctx.actor, id);
  }

  @Mutation(() => FunctionRun, {
    description: "Runs the function now (trigger MANUAL) and waits for the result",
  })
  runFunction(
    @Arg("id", () => ID) id: string,
    @Arg("input", () => JSONScalar, { nullable: true, description: "Given to the function as ctx.input" })
    input: unknown,
    @Ctx() ctx: GraphQLContext,
  ) {
    return ctx.services.functions.run(ctx.actor, id, input ?? undefined);
  }

  @Query(() => FunctionRunPage)
  async functionRuns(
    @Arg("functionId", () => ID) functionId: string,
    @Arg("first", () => Int, { nullable: true, description: "1 to 100, default 20" }) first: number | null,
    @Arg("before", () => ID, { nullable: true }) before: string | null,
    @Ctx() ctx: GraphQLContext,
  ) {
    const page = await ctx.services.functionRuns.runs(ctx.actor, functionId, first ?? 20, before);
    return { ...page, endCursor: page.nodes.at(-1)?.id ?? null };
  }
}
