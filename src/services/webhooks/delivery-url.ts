import { invalidInput } from "@/src/errors/app-error.js";
import {
  OutboundAddressError,
  type OutboundPolicy,
  parseOutboundUrl,
  resolveOutboundTarget,
} from "@/src/net/outbound-address.js";

const MAX_URL_LENGTH = 2_000;

/**
 * A webhook or notification URL as it may be saved: absolute http(s), no credentials, and a host
 * that resolves to public addresses only, unless the operator allows it (OUTBOUND_ALLOW). The same
 * check runs again at every delivery, so a name that later resolves to a private address is still
 * refused. Returns the normalised URL; refusals are 422 naming `field`.
 */
export async function checkDeliveryUrl(
  input: string,
  policy: OutboundPolicy,
  field: string,
): Promise<string> {
  const refuse = (message: string) => invalidInput([{ field, message }]);
  const text = input.trim();
  if (text.length === 0) throw refuse("must not be empty");
  if (text.length > MAX_URL_LENGTH) throw refuse(`must be at most ${MAX_URL_LENGTH} characters`);
  try {
    const url = parseOutboundUrl(text);
    if (url.username || url.password)
      throw refuse("must not carry credentials: verify the signature instead");
    await resolveOutboundTarget(url, policy);
    url.hash = "";
    return url.href;
  } catch (error) {
    if (!(error instanceof OutboundAddressError)) throw error;
    if (error.kind === "refused") {
      throw refuse(
        `is refused: ${error.message} (only public addresses, unless the operator allows the host)`,
      );
    }
    throw refuse(error.kind === "invalid" ? `must be an http(s) URL: ${error.message}` : error.message);
  }
}
