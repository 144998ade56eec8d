import { Field, ID, InputType, ObjectType } from "type-graphql";
import { RevisionScalar } from "@/src/graphql/scalars.js";
import { Connection } from "./connection.type.js";
import { Contact, ContactInput } from "./contact.type.js";

@ObjectType({ simpleResolvers: true, description: "A partner (exhibitor) of an event." })
export class Partner {
  @Field(() => ID) id!: string;
  @Field(() => ID) eventId!: string;
  @Field(() => String) name!: string;
  @Field(() => ID, { nullable: true }) registrationTypeId!: string | null;
  @Field(() => String, { nullable: true }) reference!: string | null;
  @Field(() => Contact) contact!: Contact;
  @Field(() => String, { nullable: true }) stand!: string | null;
  @Field(() => String, { nullable: true }) hall!: string | null;
  @Field(() => String, { nullable: true }) website!: string | null;
  @Field(() => String, { nullable: true }) description!: string | null;
  @Field(() => [Contact]) staff!: Contact[];
  @Field(() => Date) createdAt!: Date;
  @Field(() => Date) updatedAt!: Date;
  @Field(() => RevisionScalar) revision!: number;
  @Field(() => Boolean) deleted!: boolean;
}

@ObjectType({ simpleResolvers: true })
export class PartnerConnection extends Connection(Partner) {}

@InputType()
export class CreatePartnerInput {
  @Field(() => String) name!: string;
  @Field(() => ID, { nullable: true }) registrationTypeId?: string | null;
  @Field(() => String, { nullable: true }) reference?: string | null;
  @Field(() => ContactInput, { nullable: true }) contact?: ContactInput | null;
  @Field(() => String, { nullable: true }) stand?: string | null;
  @Field(() => String, { nullable: true }) hall?: string | null;
  @Field(() => String, { nullable: true }) website?: string | null;
  @Field(() => String, { nullable: true }) description?: string | null;
  @Field(() => [ContactInput], { nullable: true }) staff?: ContactInput[] | null;
}

@InputType({ description: "Any subset of the create fields; staff, when given, replaces all staff." })
export class UpdatePartnerInput {
  @Field(() => String, { nullable: true }) name?: string;
  @Field(() => ID, { nullable: true }) registrationTypeId?: string | null;
  @Field(() => String, { nullable: true }) reference?: string | null;
  @Field(() => ContactInput, { nullable: true }) contact?: ContactInput | null;
  @Field(() => String, { nullable: true }) stand?: string | null;
  @Field(() => String, { nullable: true }) hall?: string | null;
  @Field(() => String, { nullable: true }) website?: string | null;
  @Field(() => String, { nullable: true }) description?: string | null;
  @Field(() => [ContactInput], { nullable: true }) staff?: ContactInput[] | null;
}

@InputType()
export class PartnerFilter {
  @Field(() => RevisionScalar, { nullable: true, description: "Inclusive: the last revision seen + 1" })
  fromRevision?: number | null;
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
