import type { Actor } from "@/src/auth/actor.js";
import { parseAuthorization } from "@/src/auth/credentials.js";
import { constantTimeEquals } from "@/src/auth/token.js";
import { unauthenticated } from "@/src/errors/app-error.js";
import type { SessionService } from "@/src/services/session.service.js";

export type AuthRequest = { authorization?: string; ip: string };

/** Resolves an API key secret to an actor; throws the refusal (401 with its reason) otherwise. */
export type ApiKeyVerifier = (secret: string, ip: string) => Promise<Actor>;

/**
 * The one verification path for every surface (GraphQL, REST, endpoint functions): turns the
 * Authorization header into an actor, or throws UNAUTHENTICATED with the reason.
 * No header is the anonymous actor: only `login` and public routes accept it.
 */
export class Authenticator {
  constructor(
    private readonly sessions: SessionService,
    private readonly operatorToken: string | undefined,
    private readonly apiKeys: ApiKeyVerifier,
  ) {}

  async authenticate(request: AuthRequest): Promise<Actor> {
    const credentials = parseAuthorization(request.authorization);
    if (credentials === undefined) return { kind: "anonymous" };
    if (credentials === "malformed") {
      throw unauthenticated(
        "MALFORMED_CREDENTIALS",
        "The Authorization header is not Basic or Bearer credentials",
      );
    }
    if (credentials.scheme === "bearer") {
      if (this.operatorToken && constantTimeEquals(credentials.secret, this.operatorToken))
        return { kind: "operator" };
      if (credentials.secret.startsWith("vs_")) {
        const actor = await this.sessions.authenticate(credentials.secret);
        if (!actor)
          throw unauthenticated("INVALID_SESSION", "The session is unknown or has expired; log in again");
        return actor;
      }
    }
    return this.apiKeys(credentials.secret, request.ip);
  }
}
