import { Arg, Ctx, ID, Mutation, Query, Resolver } from "type-graphql";
import type { GraphQLContext } from "@/src/graphql/context.js";
import {
  CreatedOrganisation,
  CreateOrganisationInput,
  CreateUserInput,
  Session,
  UpdateUserInput,
  User,
} from "@/src/graphql/types/user.type.js";

@Resolver()
export class IdentityResolver {
  @Mutation(() => Session, {
    description: "Log in with email and password; send the token as a Bearer token",
  })
  login(
    @Arg("email", () => String) email: string,
    @Arg("password", () => String) password: string,
    @Ctx() ctx: GraphQLContext,
  ) {
    return ctx.services.sessions.login(email, password);
  }

  @Mutation(() => Boolean, { description: "Ends the session whose token authorised this request" })
  logout(@Ctx() ctx: GraphQLContext) {
    return ctx.services.sessions.logout(ctx.actor);
  }

  @Query(() => User, { description: "The logged-in user" })
  me(@Ctx() ctx: GraphQLContext) {
    return ctx.services.users.me(ctx.actor);
  }

  @Query(() => [User])
  users(@Ctx() ctx: GraphQLContext) {
    return ctx.services.users.list(ctx.actor);
  }

  @Mutation(() => User)
  createUser(@Arg("input", () => CreateUserInput) input: CreateUserInput, @Ctx() ctx: GraphQLContext) {
    return ctx.services.users.create(ctx.actor, input);
  }

  @Mutation(() => User)
  updateUser(
    @Arg("id", () => ID) id: string,
    @Arg("input", () => UpdateUserInput) input: UpdateUserInput,
    @Ctx() ctx: GraphQLContext,
  ) {
    return ctx.services.users.update(ctx.actor, id, input);
  }

  @Mutation(() => User)
  deleteUser(@Arg("id", () => ID) id: string, @Ctx() ctx: GraphQLContext) {
    return ctx.services.users.delete(ctx.actor, id);
  }

  @Mutation(() => CreatedOrganisation, {
    description: "Operator only: Authorization: Bearer <OPERATOR_TOKEN>",
  })
  createOrganisation(
    @Arg("input", () => CreateOrganisationInput) input: CreateOrganisationInput,
    @Ctx() ctx: GraphQLContext,
  ) {
    return ctx.services.organisations.create(ctx.actor, input);
  }
}
