// The part of autocannon 9's programmatic API the bench uses (the package ships no types).
declare module "autocannon" {
  export type AutocannonRequest = {
    method?: string;
    path?: string;
    headers?: Record<string, string>;
    body?: string;
    setupRequest?: (request: AutocannonRequest, context: Record<string, unknown>) => AutocannonRequest;
    onResponse?: (status: number, body: string, context: Record<string, unknown>) => void;
  };

  export type AutocannonOptions = {
    url: string;
    connections?: number;
    /** Seconds. */
    duration?: number;
    /** Seconds per request. */
    timeout?: number;
    requests?: AutocannonRequest[];
  };

  export type Histogram = {
    average: number;
    min: number;
    max: number;
    total: number;
    p50: number;
    p99: number;
  };

  export type AutocannonResult = {
    /** Per-second samples; `total` is every completed response. */
    requests: Histogram;
    /** Milliseconds. */
    latency: Histogram;
    /** Seconds. */
    duration: number;
    /** Connection errors, timeouts included. */
    errors: number;
  };

  export type AutocannonInstance = PromiseLike<AutocannonResult> & { stop(): void };

  export default function autocannon(options: AutocannonOptions): AutocannonInstance;
}
