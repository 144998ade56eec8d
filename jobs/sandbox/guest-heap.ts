import {
  newQuickJSWASMModuleFromVariant,
  newVariant,
  type QuickJSWASMModule,
  RELEASE_SYNC,
} from "quickjs-emscripten";

const PAGE_BYTES = 64 * 1024;
// Emscripten's defaults for this build: 16 MiB to start, 2 GiB at most.
const INITIAL_PAGES = 256;
const MAXIMUM_PAGES = 32_768;

// The project's lib settings leave out WebAssembly's types: the part used here.
type WasmMemory = { readonly buffer: ArrayBuffer; grow(pages: number): number };
type WasmMemoryConstructor = {
  new (descriptor: { initial: number; maximum: number }): WasmMemory;
  prototype: WasmMemory;
};
const { Memory } = (globalThis as unknown as { WebAssembly: { Memory: WasmMemoryConstructor } }).WebAssembly;

/**
 * The WebAssembly memory of one QuickJS module, with a cap on how far guest code may grow it.
 *
 * QuickJS's own `setMemoryLimit` cannot count bytes in this build (no malloc_usable_size under
 * Emscripten, so every block counts as 8 bytes): it refuses single huge allocations but lets many
 * large ones through. Growth of the memory is what every allocation ends in, so refusing it past
 * the cap makes malloc fail and QuickJS throw "out of memory". Host-side work (copying strings in
 * and out) is never refused, because quickjs-emscripten does not check its own mallocs for NULL.
 */
export class GuestHeap {
  private capBytes = Number.POSITIVE_INFINITY;
  private guest = false;
  /** Whether the last growth attempt was refused: the allocation behind it failed. */
  lastGrowRefused = false;

  constructor(readonly memory: WasmMemory) {
    const grow = Memory.prototype.grow;
    Object.defineProperty(memory, "grow", {
      value: (pages: number) => {
        if (this.guest && memory.buffer.byteLength + pages * PAGE_BYTES > this.capBytes) {
          this.lastGrowRefused = true;
          throw new RangeError("sandbox memory limit reached");
        }
        const previous = grow.call(memory, pages);
        this.lastGrowRefused = false;
        return previous;
      },
    });
  }

  get bytes(): number {
    return this.memory.buffer.byteLength;
  }

  /** Caps guest growth at `capBytes` of memory in total, for the next run. */
  limitTo(capBytes: number): void {
    this.capBytes = capBytes;
    this.lastGrowRefused = false;
  }

  /** Runs guest code (evaluation, calls into the VM, pending jobs) under the cap. */
  asGuest<T>(work: () => T): T {
    return this.withMode(true, work);
  }

  /** Runs host work called back from guest code without the cap. */
  asHost<T>(work: () => T): T {
    return this.withMode(false, work);
  }

  private withMode<T>(guest: boolean, work: () => T): T {
    const previous = this.guest;
    this.guest = guest;
    try {
      return work();
    } finally {
      this.guest = previous;
    }
  }
}

/** Loads a QuickJS module (sync variant) into its own capped memory: once per worker thread. */
export async function loadCappedQuickJS(): Promise<{ quickjs: QuickJSWASMModule; heap: GuestHeap }> {
  const heap = new GuestHeap(new Memory({ initial: INITIAL_PAGES, maximum: MAXIMUM_PAGES }));
  const quickjs = await newQuickJSWASMModuleFromVariant(
    newVariant(RELEASE_SYNC, { wasmMemory: heap.memory }),
  );
  return { quickjs, heap };
}
