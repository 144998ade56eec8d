import { Field, InputType, ObjectType } from "type-graphql";

@ObjectType({ simpleResolvers: true })
export class Address {
  @Field(() => String, { nullable: true }) street?: string | null;
  @Field(() => String, { nullable: true }) street2?: string | null;
  @Field(() => String, { nullable: true }) postalCode?: string | null;
  @Field(() => String, { nullable: true }) city?: string | null;
  @Field(() => String, { nullable: true }) region?: string | null;
  @Field(() => String, { nullable: true, description: "ISO 3166-1 alpha-2 code or name" }) country?:
    | string
    | null;
}

@ObjectType({ simpleResolvers: true })
export class Contact {
  @Field(() => String, { nullable: true }) firstName!: string | null;
  @Field(() => String, { nullable: true }) lastName!: string | null;
  @Field(() => String, { nullable: true }) email!: string | null;
  @Field(() => String, { nullable: true }) company!: string | null;
  @Field(() => String, { nullable: true }) jobTitle!: string | null;
  @Field(() => String, { nullable: true }) phone!: string | null;
  @Field(() => String, { nullable: true }) reference!: string | null;
  @Field(() => Address, { nullable: true }) address!: Address | null;
}

@InputType()
export class AddressInput {
  @Field(() => String, { nullable: true }) street?: string | null;
  @Field(() => String, { nullable: true }) street2?: string | null;
  @Field(() => String, { nullable: true }) postalCode?: string | null;
  @Field(() => String, { nullable: true }) city?: string | null;
  @Field(() => String, { nullable: true }) region?: string | null;
  @Field(() => String, { nullable: true }) country?: string | null;
}

@InputType({ description: "On update, omitted fields keep their value and null clears one." })
export class ContactInput {
  @Field(() => String, { nullable: true }) firstName?: string | null;
  @Field(() => String, { nullable: true }) lastName?: string | null;
  @Field(() => String, { nullable: true }) email?: string | null;
  @Field(() => String, { nullable: true }) company?: string | null;
  @Field(() => String, { nullable: true }) jobTitle?: string | null;
  @Field(() => String, { nullable: true }) phone?: string | null;
  @Field(() => String, { nullable: true }) reference?: string | null;
  @Field(() => AddressInput, { nullable: true }) address?: AddressInput | null;
}
