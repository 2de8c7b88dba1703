// The functions' environment, read in one place with one set of rules: an unset or empty
// variable takes its default; a malformed one stops the function at start-up with its name,
// rather than running with a value nobody chose. Every name read here is listed in .env.example
// (a test checks).

/** The variable's text, or `fallback` when it is unset or empty. */
export function envText(name: string): string | undefined;
export function envText(name: string, fallback: string): string;
export function envText(name: string, fallback?: string): string | undefined {
  const value = Deno.env.get(name);
  return value === undefined || value === '' ? fallback : value;
}

/** An integer within [min, max], or `fallback` when unset or empty. */
export function envInt(name: string, fallback: number, range: { min: number; max: number }): number {
  return parseIntSetting(name, Deno.env.get(name), fallback, range);
}

/** The rule of envInt, pure (for tests and for values from elsewhere). */
export function parseIntSetting(name: string, raw: string | undefined, fallback: number, { min, max }: { min: number; max: number }): number {
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${name} must be an integer from ${min} to ${max}, not ${JSON.stringify(raw)}`);
  }
  return value;
}
