// Side-effecting work as named steps, each next to its undo. When a step fails, the steps
// already done are undone in reverse order, and so is the failing one (it may have half
// happened); every step and undo is safe to run twice. Pure.

export interface Step {
  name: string;
  run: () => Promise<void>;
  undo?: () => Promise<void>;
}

export class StepFailed extends Error {
  constructor(readonly step: string, cause: unknown, readonly undoErrors: Array<{ step: string; error: unknown }>) {
    super(`${step} failed: ${(cause as Error)?.message ?? cause}`, { cause });
  }
}

export async function runSteps(steps: Step[]): Promise<void> {
  const done: Step[] = [];
  for (const step of steps) {
    try {
      await step.run();
      done.push(step);
    } catch (error) {
      const undoErrors: Array<{ step: string; error: unknown }> = [];
      for (const finished of [step, ...done.reverse()]) {
        try {
          await finished.undo?.();
        } catch (undoError) {
          undoErrors.push({ step: finished.name, error: undoError });
        }
      }
      throw new StepFailed(step.name, error, undoErrors);
    }
  }
}
