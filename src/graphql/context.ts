import type DataLoader from "dataloader";
import type { Actor } from "@/src/auth/actor.js";
import type { Question } from "@/src/services/question.service.js";
import type { RegistrationType } from "@/src/services/registration-type.service.js";
import type { Services } from "@/src/services/services.js";
import { createLoaders } from "./loaders.js";

export type Loaders = {
  registrationType: DataLoader<string, RegistrationType | null>;
  eventRegistrationTypes: DataLoader<string, RegistrationType[]>;
  eventQuestions: DataLoader<string, Question[]>;
};

/** What every resolver gets: who is calling, the services, and per-request batch loaders. */
export type GraphQLContext = {
  actor: Actor;
  services: Services;
  loaders: Loaders;
  requestId: string;
};

export function createContext(services: Services, actor: Actor, requestId: string): GraphQLContext {
  return { actor, services, loaders: createLoaders(services, actor), requestId };
}
