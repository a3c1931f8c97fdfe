// The task board on a terminal, drawn by listr2: one line per resource with a
// spinner while it works, a tick when its last step is done, the time it
// took, under a `Running 2/3` header — docker compose v2's `[+] Running 3/3`.
// Lines are known up front (from the plan), so listr2 gets a fixed task list
// and each task settles when its resource has reported all its steps.

import { Listr, ListrLogger, PRESET_TIMER, ProcessOutput, type ListrTaskWrapper } from 'listr2';
import type { ProgressEvent, ResourceEvent } from '../executor/events.js';
import { RESOURCE_TITLE, STATUS_PHASE } from '../executor/events.js';
import { formatPlain } from './format.js';
import type { BoardLine, Renderer, RendererOutput } from './renderer.js';

interface LineState {
  remaining: number;
  settled: boolean;
  resolve: () => void;
  reject: (err: Error) => void;
  task?: ListrTaskWrapper<any, any, any>;
  pendingTitle?: string;
}

export class TtyRenderer implements Renderer {
  private readonly lines = new Map<string, LineState>();
  private readonly after: string[] = [];
  private running?: Promise<unknown>;
  private title = '';
  private total = 0;
  private done = 0;
  private header?: ListrTaskWrapper<any, any, any>;
  /** Names padded to the longest so statuses line up, as on docker compose's board. */
  private nameWidth = 0;

  constructor(private readonly out: RendererOutput) {}

  begin(title: string, lines: readonly BoardLine[]): void {
    // Nothing to do draws nothing (a second `up`), rather than an empty board.
    if (lines.length === 0) return;
    this.title = title;
    this.total = lines.length;
    this.nameWidth = Math.max(0, ...lines.map((l) => `${RESOURCE_TITLE[l.resource]} ${l.name}`.length));
    const tasks = lines.map((line) => {
      const key = `${line.resource}:${line.name}`;
      let resolve!: () => void;
      let reject!: (err: Error) => void;
      const settledPromise = new Promise<void>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      const state: LineState = { remaining: line.steps, settled: false, resolve, reject };
      this.lines.set(key, state);
      return {
        title: `${RESOURCE_TITLE[line.resource]} ${line.name}`,
        task: async (_ctx: unknown, task: ListrTaskWrapper<any, any, any>) => {
          state.task = task;
          if (state.pendingTitle) task.title = state.pendingTitle;
          await settledPromise;
        },
      };
    });
    const board = new Listr(
      [
        {
          title: this.headerTitle(),
          task: (_ctx, task) => {
            this.header = task;
            return task.newListr(tasks, { concurrent: true, exitOnError: false, rendererOptions: { collapseSubtasks: false } });
          },
        },
      ],
      {
        exitOnError: false,
        registerSignalListeners: false,
        // The board goes to stderr like docker compose's, so stdout carries only
        // the command's output (the logs of an attached `up`).
        rendererOptions: { collapseSubtasks: false, collapseErrors: false, timer: PRESET_TIMER, logger: new ListrLogger({ useIcons: true, processOutput: new ProcessOutput(process.stderr, process.stderr) }) },
      },
    );
    this.running = board.run().catch(() => undefined);
  }

  private headerTitle(): string {
    return `${this.title} ${this.done}/${this.total}`;
  }

  event(event: ProgressEvent): void {
    if (event.kind !== 'resource') {
      // Warnings and logs would be overdrawn by the board: shown when it is done.
      this.after.push(formatPlain(event));
      return;
    }
    this.resource(event);
  }

  private resource(event: ResourceEvent): void {
    const state = this.lines.get(`${event.resource}:${event.name}`);
    if (!state || state.settled) return;
    const title = this.boardLine(event);
    if (state.task) state.task.title = title;
    else state.pendingTitle = title;
    const phase = STATUS_PHASE[event.status];
    if (phase === 'error') return this.settle(state, new Error(title));
    if (phase === 'done' && --state.remaining <= 0) this.settle(state);
  }

  private boardLine(event: ResourceEvent): string {
    const base = `${`${RESOURCE_TITLE[event.resource]} ${event.name}`.padEnd(this.nameWidth)}  ${event.status}`;
    return event.detail ? `${base}  ${event.detail}` : base;
  }

  private settle(state: LineState, error?: Error): void {
    state.settled = true;
    this.done++;
    if (this.header) this.header.title = this.headerTitle();
    if (error) state.reject(error);
    else state.resolve();
  }

  async end(): Promise<void> {
    // Lines whose steps never ran (a failure stopped the walk) show as skipped, not done.
    for (const state of this.lines.values()) {
      if (state.settled) continue;
      state.task?.skip(state.task.title);
      this.settle(state);
    }
    await this.running;
    for (const line of this.after) this.out.write(`${line}\n`);
  }
}
