// Multi-step side effects as a list of named steps, each next to its undo: when a step fails,
// its own undo runs (it may have half happened; it gets the state the step started from), then
// the undos of the steps already done in reverse order, and the failure is rethrown.
// Every step and undo must be safe to run twice (a retried request runs them again).

export interface Step<State> {
  name: string;
  run: (state: State) => Promise<State>;
  undo?: (state: State) => Promise<void>;
}

export class StepFailed extends Error {
  constructor(readonly step: string, override readonly cause: unknown, readonly undoErrors: Array<{ step: string; error: unknown }>) {
    super(`step ${step} failed: ${String((cause as Error)?.message ?? cause)}`);
  }
}

export async function runSteps<State>(
  steps: Step<State>[],
  initial: State,
  log: (entry: Record<string, unknown>) => void = () => {},
): Promise<State> {
  let state = initial;
  const done: Array<{ step: Step<State>; state: State }> = [];
  for (const step of steps) {
    try {
      state = await step.run(state);
      done.push({ step, state });
    } catch (cause) {
      const undoErrors: Array<{ step: string; error: unknown }> = [];
      for (const { step: finished, state: after } of [{ step, state }, ...done.reverse()]) {
        if (!finished.undo) continue;
        try {
          await finished.undo(after);
          log({ event: 'step_undone', step: finished.name });
        } catch (error) {
          // Keep undoing the rest: a half-undone request is worse than one loud failure.
          undoErrors.push({ step: finished.name, error });
          log({ level: 'error', event: 'undo_failed', step: finished.name, message: String((error as Error)?.message ?? error) });
        }
      }
      throw new StepFailed(step.name, cause, undoErrors);
    }
  }
  return state;
}
