import { Field, ID, InputType, ObjectType } from "type-graphql";
import { RevisionScalar } from "@/src/graphql/scalars.js";

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
  @Field(() => RevisionScalar, { description: "Changes with every create and update; see the change feed" })
  revision!: number;
}

@InputType({ description: "Pages the events in revision order, like the visitors' change feed" })
export class EventFilter {
  @Field(() => RevisionScalar, { nullable: true, description: "Inclusive: the last revision seen + 1" })
  fromRevision?: number | null;
  @Field(() => String, { nullable: true, description: "Only events with exactly this reference" })
  reference?: string | null;
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
