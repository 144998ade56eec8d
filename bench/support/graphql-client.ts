export type GraphQLError = { message: string; extensions?: { code?: string } };

/** POSTs one operation; throws on HTTP or GraphQL errors, so seeding stops at the first failure. */
export async function graphql<T>(
  baseUrl: string,
  token: string | undefined,
  query: string,
  variables: Record<string, unknown> = {},
): Promise<T> {
  const response = await fetch(`${baseUrl}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token && { authorization: `Bearer ${token}` }) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: T | null; errors?: GraphQLError[] };
  if (body.errors?.length || !body.data) {
    throw new Error(`GraphQL failed (${response.status}): ${JSON.stringify(body.errors).slice(0, 2_000)}`);
  }
  return body.data;
}

export async function login(baseUrl: string, email: string, password: string): Promise<string> {
  const data = await graphql<{ login: { token: string } }>(
    baseUrl,
    undefined,
    "mutation($email: String!, $password: String!) { login(email: $email, password: $password) { token } }",
    { email, password },
  );
  return data.login.token;
}

export type CreatedKey = { id: string; secret: string };

export async function createApiKey(
  baseUrl: string,
  token: string,
  input: Record<string, unknown>,
): Promise<CreatedKey> {
  const data = await graphql<{ createApiKey: { apiKey: { id: string }; secret: string } }>(
    baseUrl,
    token,
    "mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { apiKey { id } secret } }",
    { input },
  );
  return { id: data.createApiKey.apiKey.id, secret: data.createApiKey.secret };
}

export async function createEndpointFunction(
  baseUrl: string,
  token: string,
  input: { name: string; key: string; code: string; apiKeyId: string },
): Promise<string> {
  const data = await graphql<{ createFunction: { id: string } }>(
    baseUrl,
    token,
    "mutation($input: CreateFunctionInput!) { createFunction(input: $input) { id } }",
    { input: { ...input, type: "ENDPOINT", enabled: true } },
  );
  return data.createFunction.id;
}
