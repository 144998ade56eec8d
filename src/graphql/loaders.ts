import DataLoader from "dataloader";
import { type Actor, requireDataRead, requireOrganisation } from "@/src/auth/actor.js";
import type { Services } from "@/src/services/services.js";
import type { Loaders } from "./context.js";

/**
 * Per-request loaders: a page of 100 visitors resolves its registration types in one query, and a
 * list of events its types and questions in a constant number. Each is made when first used: most
 * operations (a record by id) use none.
 */
export function createLoaders(services: Services, actor: Actor): Loaders {
  let registrationType: Loaders["registrationType"] | undefined;
  let eventRegistrationTypes: Loaders["eventRegistrationTypes"] | undefined;
  let eventQuestions: Loaders["eventQuestions"] | undefined;
  return {
    get registrationType() {
      registrationType ??= new DataLoader(async (ids) => {
        const found = await services.registrationTypes.byIds(requireOrganisation(actor), ids);
        return ids.map((id) => found.get(id) ?? null);
      });
      return registrationType;
    },
    get eventRegistrationTypes() {
      eventRegistrationTypes ??= new DataLoader(async (eventIds) => {
        const found = await services.registrationTypes.forEvents(requireOrganisation(actor), eventIds);
        return eventIds.map((id) => found.get(id) ?? []);
      });
      return eventRegistrationTypes;
    },
    get eventQuestions() {
      eventQuestions ??= new DataLoader(async (eventIds) => {
        requireDataRead(actor);
        const found = await services.questions.forEvents(eventIds);
        return eventIds.map((id) => found.get(id) ?? []);
      });
      return eventQuestions;
    },
  };
}
