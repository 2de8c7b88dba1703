// The e-mail templates: every kind renders a subject, HTML and text; user data is escaped in
// HTML; links point at the configured site.
import { describe, expect, it } from 'vitest';
import { escapeHtml } from '../../functions/_shared/email.ts';
import { formatMoney, orderReference, renderEmail, type NotificationKind } from '../../functions/send-notifications/templates.ts';
import { isPermanentFailure, retryDelaySeconds } from '../../functions/send-notifications/retry.ts';

const context = { siteUrl: 'https://shop.example/' };
const order = {
  order_id: 'abcdef12-3456-7890-abcd-ef1234567890',
  business_name: 'Mama Mboga & Sons',
  customer_name: 'Wanjiru',
  total: 151,
  currency: 'KES',
  items: [{ product_name: 'Sukuma <script>alert(1)</script>', unit: 'kg', quantity: 3, unit_price: 40, line_total: 120 }],
};

const kinds: Array<[NotificationKind, Record<string, unknown>, string]> = [
  ['order_placed_customer', order, 'Your order ABCDEF12 from Mama Mboga & Sons'],
  ['order_placed_business', order, 'New order ABCDEF12'],
  ['order_paid', order, 'Payment received for order ABCDEF12'],
  ['order_shipped', order, 'Order ABCDEF12 has shipped'],
  ['order_delivered', order, 'Order ABCDEF12 was delivered'],
  ['order_cancelled', order, 'Order ABCDEF12 was cancelled'],
  ['order_refunded', order, 'Order ABCDEF12 was refunded'],
  ['product_approved', { product_id: 'p1', product_name: 'Avocado', business_name: 'Farm', submitter_name: 'Ann' }, '“Avocado” is approved'],
  ['product_rejected', { product_id: 'p1', product_name: 'Avocado', business_name: 'Farm', rejection_reason: 'Blurry <photo>' }, '“Avocado” needs changes'],
  ['invitation_created', { business_name: 'Farm', role: 'editor', inviter_name: 'Ann', token: 'a b&c', expires_at: '2026-12-01T10:00:00Z' }, 'Join Farm on Sokoni'],
  ['chat_unread', { conversation_id: 'c1', business_id: 'b1', business_name: 'Farm', from_name: 'Farm', recipient_name: 'Wanjiru', unread_count: 3 }, '3 new messages from Farm'],
];

describe('renderEmail', () => {
  it.each(kinds)('%s has its subject, HTML and text', (kind, payload, subject) => {
    const email = renderEmail(kind, payload as never, context);
    expect(email.subject).toBe(subject);
    expect(email.html).toMatch(/^<!doctype html>/);
    expect(email.text.length).toBeGreaterThan(20);
    expect(email.text).not.toContain('<p>');
  });

  it('escapes user data in HTML but keeps it readable in text', () => {
    const email = renderEmail('order_placed_customer', order as never, context);
    expect(email.html).not.toContain('<script>');
    expect(email.html).toContain('Sukuma &lt;script&gt;alert(1)&lt;/script&gt;');
    expect(email.html).toContain('Mama Mboga &amp; Sons');
    expect(email.text).toContain('- Sukuma <script>alert(1)</script>: 3 × kg = 120.00');
    expect(email.text).toContain('Total: KES 151.00');
  });

  it('links the order under the site URL, without a double slash', () => {
    const email = renderEmail('order_shipped', order as never, context);
    expect(email.text).toContain('https://shop.example/orders/abcdef12-3456-7890-abcd-ef1234567890');
    expect(renderEmail('order_placed_business', order as never, context).text).toContain('https://shop.example/business/orders/');
  });

  it('builds the invitation accept link with the token URL-encoded', () => {
    const email = renderEmail('invitation_created', kinds[9][1] as never, context);
    expect(email.text).toContain('Accept the invitation: https://shop.example/invitations/accept?token=a%20b%26c');
    expect(email.html).toContain('href="https://shop.example/invitations/accept?token=a%20b%26c"');
    expect(email.text).toContain('expires on 2026-12-01');
  });

  it('states the rejection reason, escaped in HTML', () => {
    const email = renderEmail('product_rejected', kinds[8][1] as never, context);
    expect(email.text).toContain('Reason: Blurry <photo>');
    expect(email.html).toContain('Reason: Blurry &lt;photo&gt;');
  });
});

describe('helpers', () => {
  it('escapeHtml escapes the five HTML metacharacters', () => {
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe('&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
  });
  it('formatMoney shows two decimals and the currency', () => {
    expect(formatMoney('1234.5', 'KES')).toBe('KES 1234.50');
  });
  it('orderReference is the first 8 characters of the id, upper case', () => {
    expect(orderReference('abcdef12-aaaa')).toBe('ABCDEF12');
  });
});

describe('retry policy', () => {
  const policy = { baseSeconds: 30, maxSeconds: 600 };
  it.each([
    [1, 15, 30], [2, 30, 60], [3, 60, 120], [6, 300, 600], [10, 300, 600],
  ])('after %i attempts the delay lies between %i and %i seconds', (attempts, low, high) => {
    expect(retryDelaySeconds(attempts, policy, () => 0)).toBe(low);
    expect(retryDelaySeconds(attempts, policy, () => 1)).toBe(high);
  });
  it.each([[400, true], [422, true], [401, false], [403, false], [408, false], [429, false], [500, false], [503, false]])(
    'status %i is permanent: %s',
    (status, permanent) => expect(isPermanentFailure(status)).toBe(permanent),
  );
});
