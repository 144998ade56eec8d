import type DataLoader from "dataloader";
import type { Actor } from "@/src/auth/actor.js";
import type { RegistrationType } from "@/src/services/registration-type.service.js";
import type { Services } from "@/src/services/services.js";

export type Loaders = { registrationType: DataLoader<string, RegistrationType | null> };

/** What every resolver gets: who is calling, the services, and per-request batch loaders. */
export type GraphQLContext = {
  actor: Actor;
  services: Services;
  loaders: Loaders;
  requestId: string;
};
