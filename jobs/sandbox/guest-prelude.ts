/**
 * Guest-side half of the sandbox API, evaluated in each fresh QuickJS context before the function's
 * module. It receives the raw host functions (`host.log(level, text)`, `host.call(op, json)`, which
 * returns a promise of JSON text, and `host.load(part)`) and keeps them in closures, so guest code
 * only reaches them through the checked wrappers of GUEST_PARTS. It returns `makeContext(json)`,
 * which builds `ctx`.
 *
 * Compiling source is most of what setting up a fresh context costs, and many runs use little or
 * none of the API: the globals (console, fetch, Headers, state, visit) start as accessors, and the
 * first read of one compiles the API (`host.load("api")`) and turns that global into a plain,
 * writable property; the fetch API (Headers, responses) is compiled on its own first use. The parts
 * get JSON's functions as they were before guest code ran, so a part compiled late behaves as if it
 * had been compiled here.
 */
export const GUEST_PRELUDE = `(function (host, maxLogChars) {
  "use strict";
  const { parse, stringify } = JSON;
  const { freeze, defineProperty } = Object;

  let api;
  const define = (name, value) =>
    defineProperty(globalThis, name, { value, writable: true, configurable: true, enumerable: false });
  for (const name of ["console", "fetch", "Headers", "state", "visit"]) {
    defineProperty(globalThis, name, {
      get() {
        api ??= host.load("api")(host, maxLogChars, parse, stringify, freeze);
        const value = api[name];
        define(name, value);
        return value;
      },
      set(value) {
        define(name, value);
      },
      configurable: true,
      enumerable: false,
    });
  }

  return (json) => {
    const ctx = parse(json);
    if (ctx.request) {
      const request = ctx.request;
      request.json = () => parse(request.body);
    }
    return ctx;
  };
})`;

/** The parts `host.load(name)` compiles on first use; each evaluates to its factory function. */
export const GUEST_PARTS = {
  api: `(function (host, maxLogChars, parse, stringify, freeze) {
  "use strict";
  const format = (value) => {
    if (typeof value === "string") return value;
    if (value instanceof Error) {
      const head = value.name + ": " + value.message;
      return value.stack ? head + "\\n" + value.stack : head;
    }
    if (value === undefined || typeof value === "function" || typeof value === "symbol") return String(value);
    try {
      return stringify(value) ?? String(value);
    } catch {
      return String(value);
    }
  };
  const logger = (level) => (...args) => {
    // Cut before crossing to the host: the host keeps at most this many bytes anyway.
    host.log(level, args.map(format).join(" ").slice(0, maxLogChars));
  };
  const console = freeze({
    log: logger("log"),
    info: logger("info"),
    warn: logger("warn"),
    error: logger("error"),
    debug: logger("debug"),
  });

  const call = (op, args) =>
    host.call(op, stringify(args)).then((json) => (json === undefined ? undefined : parse(json)));

  let net;
  const loadNet = () => (net ??= host.load("net")(call, parse, freeze));

  async function fetch(input, init) {
    return loadNet().fetch(input, init);
  }

  const stateName = (name) => {
    if (typeof name !== "string" || name === "") throw new TypeError("state: name must be a non-empty string");
    return name;
  };
  const state = freeze({
    get: async (name) => (await call("stateGet", { name: stateName(name) })) ?? null,
    set: async (name, value) => {
      stateName(name);
      if (value === undefined) throw new TypeError("state.set: value must be JSON (use null to clear)");
      await call("stateSet", { name, value });
    },
  });

  const visit = freeze({
    graphql: (query, variables = {}) => call("graphql", { query: String(query), variables }),
    // This server's REST routes by path (/json/..., /xml/..., /create/v2/...), as the function's key.
    fetch: async (path, init) => loadNet().visitFetch(path, init),
  });

  return {
    console,
    fetch,
    state,
    visit,
    get Headers() {
      return loadNet().Headers;
    },
  };
})`,

  net: `(function (call, parse, freeze) {
  "use strict";
  const headerEntries = (init) => {
    if (init === undefined || init === null) return [];
    if (Array.isArray(init)) return init;
    if (typeof init.entries === "function") return [...init.entries()];
    return Object.entries(init);
  };
  class Headers {
    #map = Object.create(null);
    constructor(init) {
      for (const [name, value] of headerEntries(init)) this.#map[String(name).toLowerCase()] = String(value);
    }
    get(name) {
      return this.#map[String(name).toLowerCase()] ?? null;
    }
    has(name) {
      return String(name).toLowerCase() in this.#map;
    }
    entries() {
      return Object.entries(this.#map)[Symbol.iterator]();
    }
    keys() {
      return Object.keys(this.#map)[Symbol.iterator]();
    }
    values() {
      return Object.values(this.#map)[Symbol.iterator]();
    }
    forEach(callback) {
      for (const [name, value] of Object.entries(this.#map)) callback(value, name, this);
    }
    [Symbol.iterator]() {
      return this.entries();
    }
    toJSON() {
      return { ...this.#map };
    }
  }

  const response = (raw) => {
    let used = false;
    const take = () => {
      if (used) return Promise.reject(new TypeError("the response body was already read"));
      used = true;
      return Promise.resolve(raw.body);
    };
    return freeze({
      url: raw.url,
      status: raw.status,
      statusText: raw.statusText,
      ok: raw.status >= 200 && raw.status < 300,
      redirected: raw.redirected,
      headers: new Headers(raw.headers),
      get bodyUsed() {
        return used;
      },
      text: take,
      json: () => take().then(parse),
    });
  };

  const requestInit = (name, init) => {
    const body = init.body ?? undefined;
    if (body !== undefined && typeof body !== "string") {
      throw new TypeError(name + ": body must be a string (use JSON.stringify for JSON)");
    }
    const headers = Object.fromEntries(new Headers(init.headers).entries());
    const method = String(init.method ?? "GET").toUpperCase();
    return { method, headers, body };
  };

  async function fetch(input, init = {}) {
    const url = typeof input === "string" ? input : String(input?.url ?? input);
    return response(await call("fetch", { url, ...requestInit("fetch", init) }));
  }

  async function visitFetch(path, init = {}) {
    if (typeof path !== "string") throw new TypeError("visit.fetch: path must be a string such as /create/v2/expos");
    return response(await call("visitFetch", { path, ...requestInit("visit.fetch", init) }));
  }

  return { Headers, fetch, visitFetch };
})`,
} as const;

export type GuestPart = keyof typeof GUEST_PARTS;
