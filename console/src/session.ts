// The signed-in session, kept for the tab (sessionStorage): a new tab signs in again, a reload does not.
import { setToken } from "./api/client";
import type { Role, Session, User } from "./api/types";

const STORAGE_KEY = "visit-console-session";

export type StoredSession = { token: string; expiresAt: string; user: User };

export function loadSession(): StoredSession | undefined {
  try {
    const raw = sessionStorage.getItem(STORAGE_KEY);
    if (!raw) return undefined;
    const session = JSON.parse(raw) as StoredSession;
    if (Date.parse(session.expiresAt) <= Date.now()) {
      sessionStorage.removeItem(STORAGE_KEY);
      return undefined;
    }
    setToken(session.token);
    return session;
  } catch {
    return undefined;
  }
}

export function saveSession(session: Session): StoredSession {
  const stored = { token: session.token, expiresAt: session.expiresAt, user: session.user };
  sessionStorage.setItem(STORAGE_KEY, JSON.stringify(stored));
  setToken(session.token);
  return stored;
}

export function clearSession(): void {
  sessionStorage.removeItem(STORAGE_KEY);
  setToken(undefined);
}

/** ADMIN holds every role; the others are checked by name. */
export const hasRole = (user: User, role: Role): boolean =>
  user.roles.includes("ADMIN") || user.roles.includes(role);
