import type { Logger } from "pino";
import type { FunctionRunner } from "@/jobs/function-runner.js";
import type { FunctionDefinitionService } from "@/src/services/functions/function-definition.service.js";
import type { FunctionRunService } from "@/src/services/functions/function-run.service.js";
import type { TaskScheduler } from "./task-scheduler.js";

type Deps = {
  functions: FunctionDefinitionService;
  runs: FunctionRunService;
  runner: FunctionRunner;
  intervalMs: number;
  logger: Logger;
};

/**
 * Without Redis: a timer per enabled task in this process. A tick that finds the previous run of
 * its task still going is skipped, not queued, so runs never overlap.
 */
export class InProcessScheduler implements TaskScheduler {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly running = new Map<string, Promise<void>>();
  private closed = false;

  constructor(private readonly deps: Deps) {}

  async reconcile(): Promise<void> {
    // One instance: whatever is still RUNNING was cut off when the process last stopped.
    await this.deps.runs.closeAllAbandoned("the server stopped during the run");
    const tasks = await this.deps.functions.enabledTasks();
    const wanted = new Set(tasks.map((task) => task.id));
    for (const id of this.timers.keys()) if (!wanted.has(id)) this.unschedule(id);
    for (const id of wanted) this.schedule(id);
  }

  async sync(functionId: string): Promise<void> {
    const fn = await this.deps.functions.byId(functionId);
    if (fn?.type === "BACKGROUND_TASK" && fn.enabled) this.schedule(functionId);
    else this.unschedule(functionId);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const id of [...this.timers.keys()]) this.unschedule(id);
    await Promise.allSettled(this.running.values());
  }

  /** Resolves once no run started by a tick is in progress (tests drive the ticks, then wait here). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled(this.running.values());
  }

  private schedule(id: string) {
    if (this.closed || this.timers.has(id)) return;
    const timer = setInterval(() => this.tick(id), this.deps.intervalMs);
    timer.unref();
    this.timers.set(id, timer);
  }

  private unschedule(id: string) {
    clearInterval(this.timers.get(id));
    this.timers.delete(id);
  }

  private tick(id: string) {
    if (this.running.has(id)) {
      this.deps.logger.info({ functionId: id }, "previous run still going: tick skipped");
      return;
    }
    const run = this.runOnce(id).finally(() => this.running.delete(id));
    this.running.set(id, run);
  }

  private async runOnce(id: string) {
    try {
      const fn = await this.deps.functions.byId(id);
      if (!fn?.enabled || fn.type !== "BACKGROUND_TASK") return this.unschedule(id);
      await this.deps.runner.run(fn, "SCHEDULE");
    } catch (error) {
      this.deps.logger.error({ err: error, functionId: id }, "scheduled run could not be recorded");
    }
  }
}
