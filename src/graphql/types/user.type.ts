import { Field, ID, InputType, ObjectType } from "type-graphql";
import { Role } from "./enums.js";
import { NotificationUrl } from "./webhook.type.js";

type RoleName = keyof typeof Role;

@ObjectType({ simpleResolvers: true })
export class User {
  @Field(() => ID) id!: string;
  @Field(() => String) email!: string;
  @Field(() => String) name!: string;
  @Field(() => [Role]) roles!: RoleName[];
  @Field(() => Boolean, { description: "False: deactivated, cannot log in" }) active!: boolean;
  @Field(() => Date) createdAt!: Date;
}

@ObjectType({ simpleResolvers: true })
export class Session {
  @Field(() => String, { description: "Send as `Authorization: Bearer <token>`" }) token!: string;
  @Field(() => Date) expiresAt!: Date;
  @Field(() => User) user!: User;
}

@ObjectType({ simpleResolvers: true })
export class Organisation {
  @Field(() => ID) id!: string;
  @Field(() => String) name!: string;
  @Field(() => Date) createdAt!: Date;
  @Field(() => String, { nullable: true, description: "Visit v1's notification URL (ADMIN)" })
  notificationUrl?: string | null;
  @Field(() => NotificationUrl, { nullable: true, description: "Its delivery state (ADMIN)" })
  notification?: NotificationUrl | null;
}

@ObjectType({ simpleResolvers: true })
export class UpdatedOrganisation {
  @Field(() => Organisation) organisation!: Organisation;
  @Field(() => String, {
    nullable: true,
    description: "The notification URL's signing secret, when this call set the first URL: shown only now",
  })
  notificationSecret!: string | null;
}

@ObjectType({ simpleResolvers: true })
export class CreatedOrganisation {
  @Field(() => Organisation) organisation!: Organisation;
  @Field(() => User) admin!: User;
}

@InputType()
export class CreateOrganisationInput {
  @Field(() => String) name!: string;
  @Field(() => String) adminEmail!: string;
  @Field(() => String) adminPassword!: string;
}

@InputType()
export class CreateUserInput {
  @Field(() => String) email!: string;
  @Field(() => String) name!: string;
  @Field(() => String) password!: string;
  @Field(() => [Role]) roles!: RoleName[];
}

@InputType()
export class UpdateUserInput {
  @Field(() => String, { nullable: true }) name?: string;
  @Field(() => String, { nullable: true }) password?: string;
  @Field(() => [Role], { nullable: true }) roles?: RoleName[];
  @Field(() => Boolean, {
    nullable: true,
    description: "False deactivates the user (ending their sessions); true reactivates",
  })
  active?: boolean;
}
