import { Field, ID, InputType, ObjectType } from "type-graphql";
import { RegistrationKind } from "./enums.js";

@ObjectType({ simpleResolvers: true })
export class RegistrationType {
  @Field(() => ID) id!: string;
  @Field(() => ID, { nullable: true, description: "Null: usable in every event of the organisation" })
  eventId!: string | null;
  @Field(() => String) name!: string;
  @Field(() => RegistrationKind) kind!: keyof typeof RegistrationKind;
  @Field(() => String, { nullable: true }) reference!: string | null;
}

@InputType()
export class CreateRegistrationTypeInput {
  @Field(() => String) name!: string;
  @Field(() => RegistrationKind) kind!: keyof typeof RegistrationKind;
  @Field(() => String, { nullable: true }) reference?: string | null;
}
