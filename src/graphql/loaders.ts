import DataLoader from "dataloader";
import { type Actor, requireOrganisation } from "@/src/auth/actor.js";
import type { Services } from "@/src/services/services.js";
import type { Loaders } from "./context.js";

/** Per-request loaders: a page of 100 visitors resolves its registration types in one query. */
export function createLoaders(services: Services, actor: Actor): Loaders {
  return {
    registrationType: new DataLoader(async (ids) => {
      const found = await services.registrationTypes.byIds(requireOrganisation(actor), ids);
      return ids.map((id) => found.get(id) ?? null);
    }),
  };
}
