import type { Redis } from "ioredis";

/** Tells every instance that something cached (an API key, a function) changed. */
export type InvalidationBus = {
  publish(topic: string, id: string): Promise<void>;
  subscribe(topic: string, handler: (id: string) => void): void;
  /** Called when messages may have been missed (a reconnect): drop everything cached. */
  onReset(handler: () => void): void;
  close(): Promise<void>;
};

type Handlers = { topics: Map<string, ((id: string) => void)[]>; resets: (() => void)[] };

function deliver(handlers: Handlers, topic: string, id: string) {
  for (const handler of handlers.topics.get(topic) ?? []) handler(id);
}

function register(handlers: Handlers, topic: string, handler: (id: string) => void) {
  handlers.topics.set(topic, [...(handlers.topics.get(topic) ?? []), handler]);
}

/** One instance: the change is already applied locally; there is nobody else to tell. */
export function localBus(): InvalidationBus {
  const handlers: Handlers = { topics: new Map(), resets: [] };
  return {
    publish: async (topic, id) => deliver(handlers, topic, id),
    subscribe: (topic, handler) => register(handlers, topic, handler),
    onReset: (handler) => handlers.resets.push(handler),
    close: async () => {},
  };
}

/** Many instances: Redis pub/sub, one channel per deployment prefix. */
export function redisBus(
  publisher: Redis,
  subscriber: Redis,
  prefix: string,
  onPublishFailed: (error: unknown) => void = () => {},
): InvalidationBus {
  const channel = `${prefix}:invalidate`;
  const handlers: Handlers = { topics: new Map(), resets: [] };
  let subscribed = false;
  subscriber.on("message", (from: string, message: string) => {
    if (from !== channel) return;
    const separator = message.indexOf(":");
    deliver(handlers, message.slice(0, separator), message.slice(separator + 1));
  });
  // After a reconnect, messages sent meanwhile are lost: caches must start over.
  subscriber.on("ready", () => {
    if (subscribed) for (const reset of handlers.resets) reset();
  });
  // While Redis is down this waits for it (ioredis also subscribes again after every reconnect).
  const ready = subscriber.subscribe(channel).then(
    () => {
      subscribed = true;
    },
    () => {},
  );
  return {
    async publish(topic, id) {
      deliver(handlers, topic, id);
      // The change is committed: the caller neither waits for Redis nor fails with it. If the
      // publish is lost, other instances catch up when their cache entry expires, and drop
      // everything when they reconnect.
      void publisher.publish(channel, `${topic}:${id}`).catch(onPublishFailed);
    },
    subscribe: (topic, handler) => register(handlers, topic, handler),
    onReset: (handler) => handlers.resets.push(handler),
    async close() {
      // Never wait for a subscription Redis is not there to confirm.
      if (subscriber.status === "ready") await ready;
      subscriber.disconnect();
    },
  };
}
