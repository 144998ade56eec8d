import { Field, ID, InputType, ObjectType } from "type-graphql";

@ObjectType({ simpleResolvers: true, description: "An event (an expo on the Visit platform)." })
export class Event {
  @Field(() => ID, { description: "13 lowercase alphanumeric characters" }) id!: string;
  @Field(() => String) name!: string;
  @Field(() => String, { nullable: true }) description!: string | null;
  @Field(() => String, { nullable: true, description: "Your own reference; not unique" }) reference!:
    | string
    | null;
  @Field(() => Date) start!: Date;
  @Field(() => Date) end!: Date;
  @Field(() => String, { description: "IANA time zone, e.g. Europe/Amsterdam" }) timezone!: string;
  @Field(() => String, { nullable: true }) contactEmail!: string | null;
  @Field(() => Date) createdAt!: Date;
  @Field(() => Date) updatedAt!: Date;
}

@InputType()
export class CreateEventInput {
  @Field(() => String) name!: string;
  @Field(() => Date) start!: Date;
  @Field(() => Date) end!: Date;
  @Field(() => String, { nullable: true }) description?: string | null;
  @Field(() => String, { nullable: true }) reference?: string | null;
  @Field(() => String, { nullable: true, description: "Defaults to UTC" }) timezone?: string;
  @Field(() => String, { nullable: true }) contactEmail?: string | null;
}

@InputType()
export class UpdateEventInput {
  @Field(() => String, { nullable: true }) name?: string;
  @Field(() => Date, { nullable: true }) start?: Date;
  @Field(() => Date, { nullable: true }) end?: Date;
  @Field(() => String, { nullable: true }) description?: string | null;
  @Field(() => String, { nullable: true }) reference?: string | null;
  @Field(() => String, { nullable: true }) timezone?: string;
  @Field(() => String, { nullable: true }) contactEmail?: string | null;
}
