// Browsers call functions from other origins (supabase-js `functions.invoke`), so every answer
// carries these headers and preflights are answered before any authentication.
export const corsHeaders = {
  'access-control-allow-origin': '*',
  'access-control-allow-headers': 'authorization, x-client-info, apikey, content-type, idempotency-key, accept',
  'access-control-allow-methods': 'GET, POST, OPTIONS',
  'access-control-max-age': '86400',
};

export function preflight(): Response {
  return new Response(null, { status: 204, headers: corsHeaders });
}
