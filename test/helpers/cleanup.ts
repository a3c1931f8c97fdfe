// A registry of undo steps. Whatever a test creates (container, netns, mount,
// temp dir) registers its removal here at once, so that a failing assertion
// still leaves the host clean. Steps run last-in first-out.
type Step = { what: string; fn: () => unknown };

const steps: Step[] = [];

export function onCleanup(what: string, fn: () => unknown): void {
  steps.push({ what, fn });
}

/** Runs and forgets every registered step; errors are collected, not thrown
 * one by one, so that one failing step does not strand the others. */
export async function runCleanups(): Promise<void> {
  const errors: string[] = [];
  while (steps.length > 0) {
    const s = steps.pop()!;
    try {
      await s.fn();
    } catch (e) {
      errors.push(`${s.what}: ${(e as Error).message}`);
    }
  }
  if (errors.length > 0) throw new Error(`cleanup failed:\n  ${errors.join('\n  ')}`);
}
