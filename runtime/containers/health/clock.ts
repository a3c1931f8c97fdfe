// Time behind a seam (STYLE 9): health probes and restart back-off schedule
// timers through a Clock, so unit tests drive minutes of probing in
// microseconds with FakeClock and the engine uses the system clock.

export type TimerHandle = unknown;

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Calls fn once after ms; the handle cancels it. */
  setTimer(fn: () => void, ms: number): TimerHandle;
  clearTimer(handle: TimerHandle): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer: (fn, ms) => {
    const t = setTimeout(fn, Math.max(0, ms));
    // A pending probe or back-off must not keep a process (or a test run) alive.
    t.unref();
    return t;
  },
  clearTimer: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

interface FakeTimer { id: number; due: number; fn: () => void }

/** Lets pending promise continuations run: fakes resolve through microtasks and I/O callbacks. */
async function settle(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((r) => setImmediate(r));
}

/**
 * A clock that moves only when told. `advance(ms)` fires due timers in time
 * order, letting promise chains settle between them, so code that awaits an
 * injected fake and then sets the next timer behaves as it would in real time.
 */
export class FakeClock implements Clock {
  private current: number;
  private seq = 0;
  private timers: FakeTimer[] = [];

  constructor(start = Date.UTC(2026, 0, 1)) { this.current = start; }

  now(): number { return this.current; }

  setTimer(fn: () => void, ms: number): TimerHandle {
    const t = { id: ++this.seq, due: this.current + Math.max(0, ms), fn };
    this.timers.push(t);
    return t.id;
  }

  clearTimer(handle: TimerHandle): void {
    this.timers = this.timers.filter((t) => t.id !== handle);
  }

  /** Timers still waiting, with their delays from now (for assertions). */
  pending(): number[] { return this.timers.map((t) => t.due - this.current).sort((a, b) => a - b); }

  async advance(ms: number): Promise<void> {
    const target = this.current + ms;
    for (;;) {
      await settle();
      const next = this.timers.filter((t) => t.due <= target).sort((a, b) => a.due - b.due || a.id - b.id)[0];
      if (!next) break;
      this.timers = this.timers.filter((t) => t !== next);
      this.current = next.due;
      next.fn();
    }
    this.current = target;
    await settle();
  }

  /** Lets in-flight promises settle without moving time. */
  flush(): Promise<void> { return settle(); }
}
