import { Field, ID, InputType, ObjectType } from "type-graphql";
import { RevisionScalar } from "@/src/graphql/scalars.js";
import { Connection } from "./connection.type.js";
import { Contact, ContactInput } from "./contact.type.js";
import { RegistrationState } from "./enums.js";

type State = keyof typeof RegistrationState;

@ObjectType({
  simpleResolvers: true,
  description: "A visitor's answer: answerIds for choice questions, text for TEXT ones.",
})
export class VisitorAnswer {
  @Field(() => ID) questionId!: string;
  @Field(() => [ID], { nullable: true }) answerIds?: string[];
  @Field(() => String, { nullable: true }) text?: string;
}

@ObjectType({ simpleResolvers: true, description: "A registration for an event." })
export class Visitor {
  @Field(() => ID) id!: string;
  @Field(() => ID) eventId!: string;
  @Field(() => RegistrationState) registrationState!: State;
  @Field(() => ID, { nullable: true }) registrationTypeId!: string | null;
  @Field(() => String, { nullable: true }) reference!: string | null;
  @Field(() => Contact) contact!: Contact;
  @Field(() => [VisitorAnswer]) answers!: VisitorAnswer[];
  @Field(() => Date) createdAt!: Date;
  @Field(() => Date) updatedAt!: Date;
  @Field(() => RevisionScalar, { description: "Changes with every write; see the change feed" })
  revision!: number;
  @Field(() => Boolean, { description: "True for a tombstone" }) deleted!: boolean;
}

@ObjectType({ simpleResolvers: true })
export class VisitorConnection extends Connection(Visitor) {}

@InputType()
export class VisitorAnswerInput {
  @Field(() => ID) questionId!: string;
  @Field(() => [ID], { nullable: true }) answerIds?: string[] | null;
  @Field(() => String, { nullable: true }) text?: string | null;
}

@InputType()
export class CreateVisitorInput {
  @Field(() => RegistrationState, { nullable: true, description: "Defaults to INVITED" })
  registrationState?: State;
  @Field(() => ID, { nullable: true }) registrationTypeId?: string | null;
  @Field(() => String, { nullable: true }) reference?: string | null;
  @Field(() => ContactInput, { nullable: true }) contact?: ContactInput | null;
  @Field(() => [VisitorAnswerInput], { nullable: true }) answers?: VisitorAnswerInput[] | null;
}

@InputType({ description: "Any subset of the create fields; answers, when given, replace all answers." })
export class UpdateVisitorInput {
  @Field(() => RegistrationState, { nullable: true }) registrationState?: State;
  @Field(() => ID, { nullable: true }) registrationTypeId?: string | null;
  @Field(() => String, { nullable: true }) reference?: string | null;
  @Field(() => ContactInput, { nullable: true }) contact?: ContactInput | null;
  @Field(() => [VisitorAnswerInput], { nullable: true }) answers?: VisitorAnswerInput[] | null;
}

@InputType()
export class VisitorFilter {
  @Field(() => RevisionScalar, { nullable: true, description: "Inclusive: the last revision seen + 1" })
  fromRevision?: number | null;
  @Field(() => [RegistrationState], { nullable: true }) registrationStates?: State[] | null;
  @Field(() => [ID], { nullable: true }) registrationTypeIds?: string[] | null;
  @Field(() => Boolean, { nullable: true, description: "Include tombstones (default true)" })
  showDeleted?: boolean | null;
  @Field(() => String, { nullable: true }) contactReference?: string | null;
  @Field(() => String, { nullable: true }) contactEmail?: string | null;
  @Field(() => ID, {
    nullable: true,
    description:
      "Only what this webhook's ping covers: deliveredRevision < revision <= the ping's covered revision (the latest revision when no ping is in flight). Pull this before answering the ping. Another event's or type's webhook is NOT_FOUND.",
  })
  webhookId?: string | null;
}
