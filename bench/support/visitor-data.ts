import { must } from "./must.js";

const FIRST_NAMES = ["Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken", "Radia", "Tim"];
const LAST_NAMES = ["Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Allen", "Thompson"];
const COMPANIES = ["Analytical Engines", "Compiler Works", "Bletchley Labs", "Semaphore BV", "Spanning Tree"];
const CITIES = ["Amsterdam", "Utrecht", "Rotterdam", "Eindhoven", "Groningen"];
const STATES = ["REGISTERED", "REGISTERED", "REGISTERED", "INVITED", "PENDING_CONFIRMATION", "CANCELLED"];

export type VisitorSeedInput = {
  registrationState: string;
  registrationTypeId: string;
  reference: string;
  contact: {
    firstName: string;
    lastName: string;
    email: string;
    company: string;
    jobTitle: string;
    phone: string;
    reference: string;
    address: { street: string; postalCode: string; city: string; country: string };
  };
};

const pick = <T>(items: readonly T[], index: number): T =>
  must(items[index % items.length], "items[index % items.length]");

/**
 * A realistic, fully filled registration (every contact field, an address): the same input feeds
 * createVisitors and the multi-row INSERT baseline. Emails are already lower case, as stored.
 */
export function visitorInput(serial: number, registrationTypeIds: readonly string[]): VisitorSeedInput {
  const firstName = pick(FIRST_NAMES, serial);
  const lastName = pick(LAST_NAMES, Math.floor(serial / 7));
  return {
    registrationState: pick(STATES, Math.floor(serial / 3)),
    registrationTypeId: pick(registrationTypeIds, Math.floor(serial / 11)),
    reference: `V-${serial}`,
    contact: {
      firstName,
      lastName,
      email: `${firstName}.${lastName}.${serial}@example.test`.toLowerCase(),
      company: pick(COMPANIES, serial),
      jobTitle: "Engineer",
      phone: `+31 20 ${String(serial % 10_000_000).padStart(7, "0")}`,
      reference: `C-${serial}`,
      address: {
        street: `Keizersgracht ${serial % 900}`,
        postalCode: "1015 CJ",
        city: pick(CITIES, serial),
        country: "NL",
      },
    },
  };
}

/** The visitors row the app would write for `input` (columns as in schema/tables/visitor.table.ts). */
export function visitorRow(
  input: VisitorSeedInput,
  scope: { id: string; organisationId: string; eventId: string; revision: number; now: Date },
) {
  const { contact } = input;
  return {
    id: scope.id,
    organisation_id: scope.organisationId,
    event_id: scope.eventId,
    registration_state: input.registrationState,
    registration_type_id: input.registrationTypeId,
    reference: input.reference,
    contact_first_name: contact.firstName,
    contact_last_name: contact.lastName,
    contact_email: contact.email,
    contact_company: contact.company,
    contact_job_title: contact.jobTitle,
    contact_phone: contact.phone,
    contact_reference: contact.reference,
    // Sent as text and cast by the server to jsonb, as drizzle sends it.
    contact_address: JSON.stringify(contact.address),
    answers: "[]",
    revision: scope.revision,
    deleted: false,
    created_at: scope.now,
    updated_at: scope.now,
  };
}
