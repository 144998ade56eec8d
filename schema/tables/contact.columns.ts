import { jsonb, text } from "drizzle-orm/pg-core";

export type AddressValue = {
  street?: string | null;
  street2?: string | null;
  postalCode?: string | null;
  city?: string | null;
  region?: string | null;
  country?: string | null;
};

/** A contact flattened into columns, so its email and reference can be indexed and filtered. */
export const contactColumns = {
  contactFirstName: text("contact_first_name"),
  contactLastName: text("contact_last_name"),
  contactEmail: text("contact_email"),
  contactCompany: text("contact_company"),
  contactJobTitle: text("contact_job_title"),
  contactPhone: text("contact_phone"),
  contactReference: text("contact_reference"),
  contactAddress: jsonb("contact_address").$type<AddressValue>(),
};
