/**
 * PostGraphile v5 (grafast, grafserv, @dataplan/pg) calls `Promise.withResolvers`, which arrived in
 * Node 22; the project runs on Node 20. The peer's launcher imports this module before anything else.
 */
type Resolvers = { promise: Promise<unknown>; resolve(value: unknown): void; reject(reason: unknown): void };
const PromiseConstructor = Promise as unknown as { withResolvers?: () => Resolvers };

if (typeof PromiseConstructor.withResolvers !== "function") {
  Object.defineProperty(Promise, "withResolvers", {
    configurable: true,
    writable: true,
    value: function withResolvers(this: PromiseConstructor): Resolvers {
      let resolve!: Resolvers["resolve"];
      let reject!: Resolvers["reject"];
      const promise = new this((yes, no) => {
        resolve = yes;
        reject = no;
      });
      return { promise, resolve, reject };
    },
  });
}
