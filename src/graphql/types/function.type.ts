import { Field, ID, InputType, Int, ObjectType, registerEnumType } from "type-graphql";
import { FUNCTION_RUN_STATUSES, FUNCTION_TRIGGERS, FUNCTION_TYPES } from "@/schema/tables/index.js";
import { JSONScalar } from "@/src/graphql/scalars.js";
import { enumObject } from "./enums.js";

export const FunctionType = enumObject(FUNCTION_TYPES);
export const FunctionTrigger = enumObject(FUNCTION_TRIGGERS);
export const FunctionRunStatus = enumObject(FUNCTION_RUN_STATUSES);
registerEnumType(FunctionType, { name: "FunctionType" });
registerEnumType(FunctionTrigger, { name: "FunctionTrigger" });
registerEnumType(FunctionRunStatus, {
  name: "FunctionRunStatus",
  description: "RUNNING until the run ends; a run whose worker died is closed as FAILED",
});

@ObjectType("Function", {
  simpleResolvers: true,
  description: "JavaScript run in the server's sandbox: on a schedule, or at its URL",
})
export class UserFunction {
  @Field(() => ID) id!: string;
  @Field(() => String) name!: string;
  @Field(() => FunctionType) type!: keyof typeof FunctionType;
  @Field(() => String, { nullable: true, description: "ENDPOINT only: called at /functions/{key}" }) key!:
    | string
    | null;
  @Field(() => String, { description: "An ES module: export default async function (ctx) { ... }" })
  code!: string;
  @Field(() => ID, { description: "The API key the function runs as, with its scope and limits" })
  apiKeyId!: string;
  @Field(() => Boolean) enabled!: boolean;
  @Field(() => Date, { nullable: true }) lastSuccessAt!: Date | null;
  @Field(() => Date) createdAt!: Date;
  @Field(() => Date) updatedAt!: Date;
}

@ObjectType({ simpleResolvers: true })
export class FunctionRun {
  @Field(() => ID) id!: string;
  @Field(() => ID) functionId!: string;
  @Field(() => FunctionTrigger) trigger!: keyof typeof FunctionTrigger;
  @Field(() => FunctionRunStatus) status!: keyof typeof FunctionRunStatus;
  @Field(() => Date) startedAt!: Date;
  @Field(() => Date, { nullable: true }) finishedAt!: Date | null;
  @Field(() => Int, { nullable: true }) durationMs!: number | null;
  @Field(() => String, { description: "console output, cut at the log limit" }) logs!: string;
  @Field(() => String, { nullable: true }) error!: string | null;
  @Field(() => JSONScalar, { nullable: true, description: "What the function returned (runFunction only)" })
  result?: unknown;
}

@ObjectType({ simpleResolvers: true })
export class FunctionRunPage {
  @Field(() => [FunctionRun], { description: "Newest first" }) nodes!: FunctionRun[];
  @Field(() => Boolean) hasNextPage!: boolean;
  @Field(() => ID, { nullable: true, description: "Pass as `before` for the next page" }) endCursor!:
    | string
    | null;
}

@InputType()
export class CreateFunctionInput {
  @Field(() => String) name!: string;
  @Field(() => FunctionType) type!: keyof typeof FunctionType;
  @Field(() => String, { nullable: true }) key?: string | null;
  @Field(() => String) code!: string;
  @Field(() => ID) apiKeyId!: string;
  @Field(() => Boolean, { nullable: true, description: "Defaults to true" }) enabled?: boolean;
}

@InputType()
export class UpdateFunctionInput {
  @Field(() => String, { nullable: true }) name?: string;
  @Field(() => FunctionType, { nullable: true }) type?: keyof typeof FunctionType;
  @Field(() => String, { nullable: true }) key?: string | null;
  @Field(() => String, { nullable: true }) code?: string;
  @Field(() => ID, { nullable: true }) apiKeyId?: string;
  @Field(() => Boolean, { nullable: true }) enabled?: boolean;
}
