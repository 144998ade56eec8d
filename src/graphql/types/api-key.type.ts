import { Field, ID, InputType, Int, ObjectType, registerEnumType } from "type-graphql";
import { API_CALL_TYPES, API_KEY_AUDIT_ACTIONS, API_KEY_STATES } from "@/schema/tables/index.js";
import { JSONScalar } from "@/src/graphql/scalars.js";
import { RESOLUTIONS } from "@/src/services/statistics.service.js";
import { enumObject } from "./enums.js";

export const ApiKeyState = enumObject(API_KEY_STATES);
export const ApiKeyAuditAction = enumObject(API_KEY_AUDIT_ACTIONS);
export const ApiCallType = enumObject(API_CALL_TYPES);
export const StatisticsResolution = enumObject(RESOLUTIONS);
registerEnumType(ApiKeyState, { name: "ApiKeyState" });
registerEnumType(ApiKeyAuditAction, { name: "ApiKeyAuditAction" });
registerEnumType(ApiCallType, { name: "ApiCallType" });
registerEnumType(StatisticsResolution, { name: "StatisticsResolution" });

@ObjectType({ simpleResolvers: true })
export class ApiKeyContact {
  @Field(() => String, { nullable: true }) name!: string | null;
  @Field(() => String, { nullable: true }) email!: string | null;
  @Field(() => String, { nullable: true }) phone!: string | null;
}

@ObjectType({
  simpleResolvers: true,
  description: "An API key. Its secret is shown once, by createApiKey, and never stored.",
})
export class ApiKey {
  @Field(() => ID) id!: string;
  @Field(() => ApiKeyState) state!: keyof typeof ApiKeyState;
  @Field(() => String, { description: "The first characters of the secret, to recognise it" })
  prefix!: string;
  @Field(() => String, { nullable: true }) comments!: string | null;
  @Field(() => Date, { nullable: true }) expiresAt!: Date | null;
  @Field(() => [String], { description: "IPv4/IPv6 addresses and CIDR ranges; empty: any" })
  allowedIps!: string[];
  @Field(() => [ID], { description: "Empty: every event of the organisation" }) eventIds!: string[];
  @Field(() => Boolean) canWrite!: boolean;
  @Field(() => ApiKeyContact) contact!: ApiKeyContact;
  @Field(() => Int, { nullable: true, description: "Null: the deployment default" })
  rateLimitPerMinute!: number | null;
  @Field(() => Int, { nullable: true, description: "Null: the deployment default" })
  concurrencyLimit!: number | null;
  @Field(() => Date) createdAt!: Date;
  @Field(() => Date) updatedAt!: Date;
  @Field(() => Date, { nullable: true, description: "Updated at most once a minute" })
  lastUsedAt!: Date | null;
}

@ObjectType({ simpleResolvers: true })
export class CreatedApiKey {
  @Field(() => ApiKey) apiKey!: ApiKey;
  @Field(() => String, { description: "Shown only now: store it safely" }) secret!: string;
}

@InputType()
export class ApiKeyContactInput {
  @Field(() => String, { nullable: true }) name?: string | null;
  @Field(() => String, { nullable: true }) email?: string | null;
  @Field(() => String, { nullable: true }) phone?: string | null;
}

@InputType()
export class CreateApiKeyInput {
  @Field(() => ApiKeyState, { nullable: true, description: "Defaults to ACTIVE" })
  state?: keyof typeof ApiKeyState;
  @Field(() => String, { nullable: true }) comments?: string | null;
  @Field(() => Date, { nullable: true }) expiresAt?: Date | null;
  @Field(() => [String], { nullable: true }) allowedIps?: string[];
  @Field(() => [ID], { nullable: true }) eventIds?: string[];
  @Field(() => Boolean, { nullable: true, description: "Defaults to false (read-only)" }) canWrite?: boolean;
  @Field(() => ApiKeyContactInput, { nullable: true }) contact?: ApiKeyContactInput | null;
  @Field(() => Int, { nullable: true }) rateLimitPerMinute?: number | null;
  @Field(() => Int, { nullable: true }) concurrencyLimit?: number | null;
}

@InputType()
export class UpdateApiKeyInput {
  @Field(() => ApiKeyState, { nullable: true }) state?: keyof typeof ApiKeyState;
  @Field(() => String, { nullable: true }) comments?: string | null;
  @Field(() => Date, { nullable: true }) expiresAt?: Date | null;
  @Field(() => [String], { nullable: true }) allowedIps?: string[];
  @Field(() => [ID], { nullable: true }) eventIds?: string[];
  @Field(() => Boolean, { nullable: true }) canWrite?: boolean;
  @Field(() => ApiKeyContactInput, { nullable: true }) contact?: ApiKeyContactInput | null;
  @Field(() => Int, { nullable: true }) rateLimitPerMinute?: number | null;
  @Field(() => Int, { nullable: true }) concurrencyLimit?: number | null;
}

@ObjectType({ simpleResolvers: true })
export class ApiKeyAuditEntry {
  @Field(() => ID) id!: string;
  @Field(() => ID) apiKeyId!: string;
  @Field(() => ApiKeyAuditAction) action!: keyof typeof ApiKeyAuditAction;
  @Field(() => ID, { nullable: true, description: "The user who made the change" }) userId!: string | null;
  @Field(() => JSONScalar, { description: "Changed fields: { field: { from, to } }" }) changes!: unknown;
  @Field(() => Date) at!: Date;
}

@ObjectType({ simpleResolvers: true })
export class ApiStatisticsBucket {
  @Field(() => Date) start!: Date;
  @Field(() => ApiCallType) type!: keyof typeof ApiCallType;
  @Field(() => ID, { nullable: true, description: "Null for calls made with a user session" })
  apiKeyId!: string | null;
  @Field(() => ID, { nullable: true }) userId!: string | null;
  @Field(() => Int) calls!: number;
  @Field(() => Int, { description: "Client and server errors" }) errors!: number;
  @Field(() => Int) clientErrors!: number;
  @Field(() => Int) serverErrors!: number;
}
