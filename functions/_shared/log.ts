// One JSON object per line, as the edge runtime's log drain expects.
export type Logger = (entry: Record<string, unknown>) => void;

export function jsonLogger(fn: string): Logger {
  return (entry) => console.log(JSON.stringify({ time: new Date().toISOString(), fn, ...entry }));
}
