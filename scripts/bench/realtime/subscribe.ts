// The benchmarks' side of subscribers.ts: forks it, waits until every client has joined, and
// hands out the receipt times of each message by its `seq`.
import { fork } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Subscribers {
  /** Resolves with every subscriber's receipt time (ms since the epoch) of message `seq`; call before it is sent. */
  received(seq: number): Promise<number[]>;
  stop(): Promise<void>;
}

export async function startSubscribers(
  options: { baseUrl: string; anonKey: string; topic: string; event: string; tokens: string[] },
): Promise<Subscribers> {
  const child = fork(path.join(path.dirname(fileURLToPath(import.meta.url)), 'subscribers.ts'),
    [options.baseUrl, options.anonKey, options.topic, options.event, JSON.stringify(options.tokens)],
    { execArgv: ['--import', 'tsx'] });
  const waiting = new Map<number, (times: number[]) => void>();
  await new Promise<void>((resolve, reject) => {
    child.on('message', (message: { ready?: boolean; seq?: number; times?: number[] }) => {
      if (message.ready) return resolve();
      waiting.get(message.seq!)?.(message.times!);
      waiting.delete(message.seq!);
    });
    child.on('exit', (code) => reject(new Error(`subscribers exited with ${code}`)));
  });
  return {
    received: (seq) => new Promise((resolve) => waiting.set(seq, resolve)),
    async stop() {
      child.send({ stop: true });
      await new Promise((resolve) => child.once('exit', resolve));
    },
  };
}
