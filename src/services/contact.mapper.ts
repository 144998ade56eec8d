import type { AddressValue } from "@/schema/tables/contact.columns.js";
import type { ContactInputValue } from "./validation.js";

export type Contact = {
  firstName: string | null;
  lastName: string | null;
  email: string | null;
  company: string | null;
  jobTitle: string | null;
  phone: string | null;
  reference: string | null;
  address: AddressValue | null;
};

type ContactColumns = {
  contactFirstName: string | null;
  contactLastName: string | null;
  contactEmail: string | null;
  contactCompany: string | null;
  contactJobTitle: string | null;
  contactPhone: string | null;
  contactReference: string | null;
  contactAddress: AddressValue | null;
};

export const EMPTY_CONTACT: Contact = {
  firstName: null,
  lastName: null,
  email: null,
  company: null,
  jobTitle: null,
  phone: null,
  reference: null,
  address: null,
};

export function contactFromColumns(row: ContactColumns): Contact {
  return {
    firstName: row.contactFirstName,
    lastName: row.contactLastName,
    email: row.contactEmail,
    company: row.contactCompany,
    jobTitle: row.contactJobTitle,
    phone: row.contactPhone,
    reference: row.contactReference,
    address: row.contactAddress,
  };
}

/** A row's contact columns as one Contact, and the rest of the row without them. */
export function splitContact<T extends ContactColumns>(
  row: T,
): { contact: Contact; rest: Omit<T, keyof ContactColumns> } {
  const {
    contactFirstName,
    contactLastName,
    contactEmail,
    contactCompany,
    contactJobTitle,
    contactPhone,
    contactReference,
    contactAddress,
    ...rest
  } = row;
  return { contact: contactFromColumns(row), rest };
}

export function contactToColumns(contact: Contact): ContactColumns {
  return {
    contactFirstName: contact.firstName,
    contactLastName: contact.lastName,
    contactEmail: contact.email,
    contactCompany: contact.company,
    contactJobTitle: contact.jobTitle,
    contactPhone: contact.phone,
    contactReference: contact.reference,
    contactAddress: contact.address,
  };
}

/** Applies a partial contact: omitted fields keep their value, null clears one. */
export function mergeContact(current: Contact, patch: ContactInputValue | null | undefined): Contact {
  if (patch === undefined) return current;
  if (patch === null) return EMPTY_CONTACT;
  const merged: Contact = { ...current };
  for (const key of Object.keys(EMPTY_CONTACT) as (keyof Contact)[]) {
    if (patch[key] !== undefined) (merged as Record<keyof Contact, unknown>)[key] = patch[key] ?? null;
  }
  if (patch.email) merged.email = patch.email.toLowerCase();
  // The address merges the same way: a partial address keeps the fields it omits.
  if (patch.address) merged.address = { ...current.address, ...definedFields(patch.address) };
  return merged;
}

function definedFields<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, field]) => field !== undefined)) as Partial<T>;
}
