/**
 * Country pins (KVS keys `blue_countries`, `green_countries`) are matched by the edge function against the
 * `cloudfront-viewer-country` header, which CloudFront fills with an ISO 3166-1 alpha-2 code in upper case.
 * A code outside this list would pin nobody, silently, so a request naming one is refused. Pure: no I/O.
 */

/** The 249 officially assigned ISO 3166-1 alpha-2 codes. */
const ISO_3166_ALPHA_2 = new Set(
  (
    'AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ ' +
    'CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR ' +
    'GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP ' +
    'KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT ' +
    'MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW ' +
    'SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ ' +
    'UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW'
  ).split(' '),
);

/** Why `code` is not a country the edge can match, or undefined when it is one. */
export function countryCodeProblem(code: string): string | undefined {
  if (ISO_3166_ALPHA_2.has(code)) return undefined;
  if (ISO_3166_ALPHA_2.has(code.trim().toUpperCase())) {
    return `"${code}" must be written "${code.trim().toUpperCase()}": CloudFront sends the code in upper case and the edge compares it exactly`;
  }
  const hint = code === 'UK' ? '; the United Kingdom is "GB"' : '';
  return `"${code}" is not an ISO 3166-1 alpha-2 country code (two letters such as "DE" or "NZ")${hint}`;
}

/**
 * A country pin list as edge/x-deployment.js reads the text of `blue_countries` or `green_countries`: a JSON
 * array of strings without escapes. The function checks it with this expression (the edge tests check that
 * both are the same) instead of parsing it, which would cost more than the rest of the function.
 */
// eslint-disable-next-line no-control-regex -- a JSON string holds no raw control characters
export const COUNTRY_LIST = /^[ \t\r\n]*\[[ \t\r\n]*(?:"[^"\\\x00-\x1f]*"[ \t\r\n]*(?:,[ \t\r\n]*"[^"\\\x00-\x1f]*"[ \t\r\n]*)*)?\][ \t\r\n]*$/;

/** The entries of a stored country list, or null when the edge cannot read it (it then sends everyone blue). */
export function readCountryList(text: string): string[] | null {
  return COUNTRY_LIST.test(text) ? (JSON.parse(text) as string[]) : null;
}
