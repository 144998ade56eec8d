import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export type MemoryReading = { rss: number; heapUsed: number; external: number };

/** Where an instance writes its reading; the soak reads it from the same path by pid. */
export const memoryProbeFile = (pid: number) => join(tmpdir(), `visit-soak-memory-${pid}.json`);

/**
 * Preloaded into each soak instance (`node --expose-gc --import ./bench/soak/memory-probe.ts`), so
 * the server itself stays unchanged: on SIGUSR2, a full garbage collection, then the process's memory
 * figures to a file. RSS right after a full collection is steady enough to compare across a run;
 * between collections it swings by a third of itself with the heap's sawtooth.
 */
const collect = globalThis.gc;
if (collect) {
  process.on("SIGUSR2", () => {
    collect();
    const { rss, heapUsed, external } = process.memoryUsage();
    writeFileSync(memoryProbeFile(process.pid), JSON.stringify({ rss, heapUsed, external }));
  });
}
