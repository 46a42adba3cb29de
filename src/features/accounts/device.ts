/**
 * "Chrome on Windows" for the sessions list: the few browsers and systems people sign in from, matched by the tokens
 * their User-Agent strings carry. Replaces ua-parser-js (2.x is AGPL-3.0); the names are the ones it showed, so the
 * page reads the same. Order matters: browsers built on Chrome also say "Chrome", iOS browsers also say "Safari".
 */
const BROWSERS: Array<[RegExp, string | ((ua: string) => string)]> = [
  [/\bEdg(?:e|A|iOS)?\//, 'Edge'],
  [/\bOPR\/|\bOpera\b/, 'Opera'],
  [/\bSamsungBrowser\//, 'Samsung Internet'],
  [/\bVivaldi\//, 'Vivaldi'],
  [/\bBrave\b/, 'Brave'],
  [/\bYaBrowser\//, 'Yandex'],
  [/\bHeadlessChrome\//, 'Chrome Headless'],
  [/\bCriOS\//, 'Mobile Chrome'],
  [/\bFxiOS\//, 'Mobile Firefox'],
  [/\bChromium\//, 'Chromium'],
  [/\bFirefox\//, (ua) => (/\bAndroid\b/.test(ua) ? 'Mobile Firefox' : 'Firefox')],
  [/\bChrome\//, (ua) => (/\bAndroid\b/.test(ua) && /\bMobile\b/.test(ua) ? 'Mobile Chrome' : 'Chrome')],
  [/\bTrident\/|\bMSIE /, 'IE'],
  [
    /\bVersion\/[\d.]+.*\bSafari\//,
    (ua) => (/\b(?:iPhone|iPad|iPod)\b|\bMobile\//.test(ua) ? 'Mobile Safari' : 'Safari'),
  ],
];

const SYSTEMS: Array<[RegExp, string]> = [
  [/\bWindows (?:NT|Phone)\b/, 'Windows'],
  [/\b(?:iPhone|iPad|iPod)\b/, 'iOS'],
  [/\bAndroid\b/, 'Android'],
  [/\bCrOS\b/, 'Chrome OS'],
  [/\bMac OS X\b|\bMacintosh\b/, 'macOS'],
  [/\bUbuntu\b/, 'Ubuntu'],
  [/\bFedora\b/, 'Fedora'],
  [/\bDebian\b/, 'Debian'],
  [/\bFreeBSD\b/, 'FreeBSD'],
  [/\bOpenBSD\b/, 'OpenBSD'],
  [/\bLinux\b/, 'Linux'],
];

export function describeDevice(userAgent: string): string {
  // Stored user agents are at most 512 characters; the patterns are anchored on fixed tokens, so this is linear.
  const ua = userAgent.slice(0, 512);
  const found = BROWSERS.find(([pattern]) => pattern.test(ua));
  const browser = found ? (typeof found[1] === 'string' ? found[1] : found[1](ua)) : undefined;
  const system = SYSTEMS.find(([pattern]) => pattern.test(ua))?.[1];
  if (!browser && !system) {
    return 'Unknown device';
  }
  return `${browser ?? 'Unknown browser'} on ${system ?? 'an unknown system'}`;
}
