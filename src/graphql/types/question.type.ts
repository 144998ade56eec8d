import { Field, ID, InputType, ObjectType } from "type-graphql";
import { QuestionKind } from "./enums.js";

@ObjectType({ simpleResolvers: true, description: "One of the answers a choice question offers." })
export class Answer {
  @Field(() => ID) id!: string;
  @Field(() => String) text!: string;
  @Field(() => String, { nullable: true }) reference!: string | null;
}

@ObjectType({ simpleResolvers: true, description: "A registration question of an event." })
export class Question {
  @Field(() => ID) id!: string;
  @Field(() => ID) eventId!: string;
  @Field(() => String) text!: string;
  @Field(() => QuestionKind) kind!: keyof typeof QuestionKind;
  @Field(() => Boolean) required!: boolean;
  @Field(() => String, { nullable: true }) reference!: string | null;
  @Field(() => [Answer]) answers!: Answer[];
}

@InputType()
export class AnswerInput {
  @Field(() => String) text!: string;
  @Field(() => String, { nullable: true }) reference?: string | null;
}

@InputType()
export class CreateQuestionInput {
  @Field(() => String) text!: string;
  @Field(() => QuestionKind) kind!: keyof typeof QuestionKind;
  @Field(() => Boolean, { nullable: true }) required?: boolean;
  @Field(() => String, { nullable: true }) reference?: string | null;
  @Field(() => [AnswerInput], { nullable: true, description: "The choices; none for TEXT questions" })
  answers?: AnswerInput[];
}
