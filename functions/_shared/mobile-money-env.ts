// The mobile-money clients from the environment (checkout, payment-webhook and payment-status
// read the same variables, listed in .env.example); null when a provider's settings are missing.
import { type ClickPesaClient, clickPesaClient } from './clickpesa.ts';
import { envText } from './env.ts';
import { type MpesaClient, mpesaClient } from './mpesa.ts';

export function clickPesaFromEnv(): { client: ClickPesaClient; checksumKey: string } | null {
  const clientId = envText('CLICKPESA_CLIENT_ID');
  const apiKey = envText('CLICKPESA_API_KEY');
  const checksumKey = envText('CLICKPESA_CHECKSUM_KEY');
  if (!clientId || !apiKey || !checksumKey) return null;
  const apiBase = envText('CLICKPESA_API_BASE', 'https://api.clickpesa.com/third-parties');
  return { checksumKey, client: clickPesaClient({ apiBase, clientId, apiKey, checksumKey }) };
}

export function mpesaFromEnv(): { client: MpesaClient; callbackToken: string; callbackUrl: string } | null {
  const consumerKey = envText('MPESA_CONSUMER_KEY');
  const consumerSecret = envText('MPESA_CONSUMER_SECRET');
  const shortcode = envText('MPESA_SHORTCODE');
  const passkey = envText('MPESA_PASSKEY');
  const callbackToken = envText('MPESA_CALLBACK_TOKEN');
  const supabaseUrl = envText('SUPABASE_URL');
  if (!consumerKey || !consumerSecret || !shortcode || !passkey || !callbackToken || !supabaseUrl) return null;
  // The token is all that stands between the callback URL and a forger: refuse a guessable one.
  if (!/^[A-Za-z0-9_-]{32,200}$/.test(callbackToken)) {
    throw new Error('MPESA_CALLBACK_TOKEN must be 32 to 200 letters, digits, _ or - (openssl rand -hex 32)');
  }
  const apiBase = envText('MPESA_API_BASE', 'https://sandbox.safaricom.co.ke');
  return {
    callbackToken,
    callbackUrl: `${supabaseUrl.replace(/\/+$/, '')}/functions/v1/payment-webhook/mpesa/${callbackToken}`,
    client: mpesaClient({ apiBase, consumerKey, consumerSecret, shortcode, passkey }),
  };
}
