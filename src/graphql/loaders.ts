import DataLoader from "dataloader";
import { type Actor, requireDataRead, requireOrganisation } from "@/src/auth/actor.js";
import type { Services } from "@/src/services/services.js";
import type { Loaders } from "./context.js";

/**
 * Per-request loaders: a page of 100 visitors resolves its registration types in one query, and a
 * list of events its types and questions in a constant number.
 */
export function createLoaders(services: Services, actor: Actor): Loaders {
  return {
    registrationType: new DataLoader(async (ids) => {
      const found = await services.registrationTypes.byIds(requireOrganisation(actor), ids);
      return ids.map((id) => found.get(id) ?? null);
    }),
    eventRegistrationTypes: new DataLoader(async (eventIds) => {
      const found = await services.registrationTypes.forEvents(requireOrganisation(actor), eventIds);
      return eventIds.map((id) => found.get(id) ?? []);
    }),
    eventQuestions: new DataLoader(async (eventIds) => {
      requireDataRead(actor);
      const found = await services.questions.forEvents(eventIds);
      return eventIds.map((id) => found.get(id) ?? []);
    }),
  };
}
