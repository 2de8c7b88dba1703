// Mobile numbers as the East African providers take them: parsed and validated by
// libphonenumber-js (its mobile metadata: a landline or a short number is not valid), written as
// digits with the country code first and no plus (255712345678, 254712345678). The operator is
// never inferred from the prefix: numbers move between networks.
import { parsePhoneNumberFromString } from 'libphonenumber-js/mobile';

export type MobileCountry = 'TZ' | 'KE';

/** The number in international digits, or null when it is not a valid mobile number of `country`. */
export function mobileNumber(raw: string, country: MobileCountry): string | null {
  const parsed = parsePhoneNumberFromString(raw.trim(), country);
  if (!parsed || parsed.country !== country || !parsed.isValid()) return null;
  const type = parsed.getType();
  if (type !== undefined && type !== 'MOBILE' && type !== 'FIXED_LINE_OR_MOBILE') return null;
  return parsed.number.slice(1);
}
