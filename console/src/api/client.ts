// The console's one way to the server: POST /graphql with the session token. Nothing else.

/** A GraphQL document with the types of its variables and its result, so calls are checked. */
export type Operation<TData, TVariables = Record<string, never>> = {
  readonly query: string;
  readonly __types?: { data: TData; variables: TVariables };
};

export const operation = <TData, TVariables = Record<string, never>>(
  query: string,
): Operation<TData, TVariables> => ({ query });

/** One failing input field, as the server names it (`allowedIps.1`, `contact.email`). */
export type FieldError = { field: string; message: string };

/** A failed call: the server's code, reason and field errors, or a network failure. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly status: number,
    readonly fieldErrors: FieldError[] = [],
    readonly reason?: string,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

type GraphQLErrorBody = {
  message: string;
  extensions?: { code?: string; reason?: string; errors?: FieldError[] };
};

let token: string | undefined;
let onUnauthenticated: (error: ApiError) => void = () => {};

/** Sets the session token sent with every call (undefined: none, as for `login`). */
export function setToken(value: string | undefined): void {
  token = value;
}

/** Called when the server refuses the session (expired or ended): the app returns to sign-in. */
export function onSessionRefused(handler: (error: ApiError) => void): void {
  onUnauthenticated = handler;
}

export async function request<TData, TVariables>(
  op: Operation<TData, TVariables>,
  ...args: TVariables extends Record<string, never> ? [variables?: TVariables] : [variables: TVariables]
): Promise<TData> {
  const [variables] = args;
  let response: Response;
  try {
    response = await fetch("/graphql", {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "application/json",
        ...(token && { authorization: `Bearer ${token}` }),
      },
      body: JSON.stringify({ query: op.query, variables: variables ?? {} }),
    });
  } catch {
    throw new ApiError("The server cannot be reached; check the connection and try again", "NETWORK", 0);
  }
  let body: { data?: TData | null; errors?: GraphQLErrorBody[] };
  try {
    body = await response.json();
  } catch {
    throw new ApiError(
      `The server answered ${response.status} without a GraphQL body`,
      "HTTP",
      response.status,
    );
  }
  const [first] = body.errors ?? [];
  if (first) {
    const error = new ApiError(
      first.message,
      first.extensions?.code ?? "INTERNAL_SERVER_ERROR",
      response.status,
      first.extensions?.errors ?? [],
      first.extensions?.reason,
    );
    if (error.code === "UNAUTHENTICATED" && token) onUnauthenticated(error);
    throw error;
  }
  if (!body.data) throw new ApiError("The server answered without data", "HTTP", response.status);
  return body.data;
}

/** The message of anything thrown, for display. */
export const messageOf = (error: unknown): string =>
  error instanceof Error ? error.message : "Something went wrong";
