// Server-sent events as the browser's EventSource parses them: `event:` and one `data:` line
// per line of the JSON payload (JSON has no raw newlines, so one line), then a blank line.
const encoder = new TextEncoder();

export function sseEvent(event: string, data: unknown): Uint8Array {
  return encoder.encode(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
}

/** Parses a whole SSE body back into events (for clients and tests). */
export function parseSse(body: string): Array<{ event: string; data: unknown }> {
  return body.split(/\r?\n\r?\n/).filter((block) => block.trim() !== '').map((block) => {
    let event = 'message';
    const data: string[] = [];
    for (const line of block.split(/\r?\n/)) {
      if (line.startsWith('event:')) event = line.slice(6).trim();
      else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
    }
    return { event, data: JSON.parse(data.join('\n')) };
  });
}
