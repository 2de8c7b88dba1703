// What every e-mail template shares: the rendered message, the context links are built from,
// and HTML escaping of user data. Pure: no I/O, no Deno, so vitest checks templates directly.

export interface Email {
  subject: string;
  html: string;
  text: string;
}

export interface TemplateContext {
  /** The client app's base URL, for links (orders, tickets, products, invitation acceptance). */
  siteUrl: string;
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ESCAPES[c]);
}
