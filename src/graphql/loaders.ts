import DataLoader from "dataloader";
import { type Actor, requireOrganisation } from "@/src/auth/actor.js";
import type { Services } from "@/src/services/services.js";
import type { GraphQLContext, Loaders } from "./context.js";

/** Per-request loaders: a page of 100 visitors resolves its registration types in one query. */
export function createLoaders(services: Services, actor: Actor): Loaders {
  return {
    registrationType: new DataLoader(async (ids) => {
      const found = await services.registrationTypes.byIds(requireOrganisation(actor), ids);
      return ids.map((id) => found.get(id) ?? null);
    }),
  };
}

export function createContext(services: Services, actor: Actor, requestId: string): GraphQLContext {
  return { actor, services, loaders: createLoaders(services, actor), requestId };
}
