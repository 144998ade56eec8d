import { randomInt } from "node:crypto";

const ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";

function randomId(length: number): string {
  let id = "";
  for (let i = 0; i < length; i++) id += ALPHABET[randomInt(ALPHABET.length)];
  return id;
}

/** Event ids: 13 lowercase alphanumerics, as on the Visit platform. */
export const newEventId = () => randomId(13);

/** Webhook ids: 13 characters, as on the Visit platform (SPEC section 10). */
export const newWebhookId = () => randomId(13);

/** Every other id: 20 lowercase alphanumerics (about 103 random bits). */
export const newId = () => randomId(20);

/** No id is longer: a longer one, or one holding a NUL, names nothing (and is answered as not found). */
export const MAX_ID_LENGTH = 20;
