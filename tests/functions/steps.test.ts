// The step runner behind checkout and export jobs: named steps, each next to its undo.
import { describe, expect, it } from 'vitest';
import { runSteps, type Step, StepFailed } from '../../functions/_shared/steps.ts';

function step(name: string, trail: string[], fail = false): Step<number> {
  return {
    name,
    run: (state) => {
      trail.push(`run ${name}`);
      return fail ? Promise.reject(new Error(`${name} broke`)) : Promise.resolve(state + 1);
    },
    undo: (state) => Promise.resolve(void trail.push(`undo ${name} at ${state}`)),
  };
}

describe('runSteps', () => {
  it('returns the state the last step made', async () => {
    const trail: string[] = [];
    expect(await runSteps([step('a', trail), step('b', trail)], 0)).toBe(2);
    expect(trail).toEqual(['run a', 'run b']);
  });

  it('undoes the failing step from the state it started with, then the finished ones in reverse, and rethrows', async () => {
    const trail: string[] = [];
    const failure = await runSteps([step('a', trail), step('b', trail), step('c', trail, true), step('d', trail)], 0)
      .catch((error) => error);
    expect(failure).toBeInstanceOf(StepFailed);
    expect(failure.step).toBe('c');
    expect(failure.message).toContain('c broke');
    expect(trail).toEqual(['run a', 'run b', 'run c', 'undo c at 2', 'undo b at 2', 'undo a at 1']);
  });

  it('keeps undoing when an undo fails and reports it', async () => {
    const trail: string[] = [];
    const failure = await runSteps<number>([
      { name: 'a', run: (s) => Promise.resolve(s), undo: () => Promise.resolve(void trail.push('undo a')) },
      { name: 'b', run: (s) => Promise.resolve(s), undo: () => Promise.reject(new Error('undo b broke')) },
      { name: 'c', run: () => Promise.reject(new Error('c broke')) },
    ], 0).then(() => null, (error: StepFailed) => error);
    expect(trail).toEqual(['undo a']);
    expect(failure?.undoErrors.map((undo) => undo.step)).toEqual(['b']);
  });
});
