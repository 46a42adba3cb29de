import { createHash } from 'node:crypto';

/**
 * The company's brand: the accent colour (checked for contrast, with the variants the stylesheet needs) and the logo
 * file (checked by its bytes). Pure functions: config.ts calls them at start and refuses to start on a problem.
 */

/** WCAG AA for normal text, and for the white text of buttons. */
export const MIN_CONTRAST = 4.5;
/** The logo is read into memory and served from there: a header mark, not a photograph. */
export const LOGO_MAX_BYTES = 256 * 1024;

/** The lightest surface of the dark theme (app.css --surface-2): links in the accent colour sit on it at worst. */
const DARK_SURFACE = '#1f2836';
const WHITE = '#ffffff';

type Rgb = [number, number, number];

function rgb(hex: string): Rgb {
  const n = Number.parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

function hex([r, g, b]: Rgb): string {
  return `#${[r, g, b]
    .map((c) =>
      Math.round(Math.min(255, Math.max(0, c)))
        .toString(16)
        .padStart(2, '0'),
    )
    .join('')}`;
}

function luminance(color: string): number {
  const [r, g, b] = rgb(color).map((c) => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  }) as Rgb;
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** The WCAG contrast ratio of two #rrggbb colours, from 1 to 21. */
export function contrastRatio(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

/** `color` moved `amount` (0-1) of the way towards `target`. */
function mix(color: string, target: string, amount: number): string {
  const [a, b] = [rgb(color), rgb(target)];
  return hex([0, 1, 2].map((i) => a[i]! + (b[i]! - a[i]!) * amount) as Rgb);
}

/** The first mix of `color` towards `target` (in 5 % steps) that has MIN_CONTRAST against `background`. */
function towardsContrast(color: string, target: string, background: string): string {
  for (let step = 0; step <= 20; step++) {
    const candidate = mix(color, target, step / 20);
    if (contrastRatio(candidate, background) >= MIN_CONTRAST) {
      return candidate;
    }
  }
  return target;
}

/** The colours app.css takes from the accent, light and dark. */
export interface AccentPalette {
  /** The accent as given: links and buttons on the light theme, buttons (white text) on the dark one. */
  accent: string;
  /** Hover of links and buttons on the light theme: darker, so its contrast only grows. */
  accentHover: string;
  /** Links, focus rings and borders on the dark theme: the accent lightened until it has 4.5:1 on the dark surface. */
  darkText: string;
  darkTextHover: string;
  /** Button hover on the dark theme. */
  darkButtonHover: string;
}

/**
 * The palette of an accent colour, or a sentence saying why it cannot be used: it must reach 4.5:1 against white,
 * both as text on the light pages and as the background of white button text (the same ratio). For the dark theme
 * the app derives a lighter variant for text; the buttons keep the accent itself.
 */
export function accentPalette(accent: string): AccentPalette | string {
  const color = accent.toLowerCase();
  const ratio = contrastRatio(color, WHITE);
  if (ratio < MIN_CONTRAST) {
    const suggestion = towardsContrast(color, '#000000', WHITE);
    return `PORTAL_ACCENT ${color} has a contrast of ${ratio.toFixed(2)}:1 against white; links and button text need at least ${MIN_CONTRAST}:1 (WCAG AA). A darker shade of it that passes: ${suggestion}`;
  }
  const darkText = towardsContrast(color, WHITE, DARK_SURFACE);
  return {
    accent: color,
    accentHover: mix(color, '#000000', 0.2),
    darkText,
    darkTextHover: mix(darkText, WHITE, 0.3),
    darkButtonHover: mix(color, '#000000', 0.15),
  };
}

/** The stylesheet served as /assets/brand.<hash>.css after app.css: the accent as app.css's custom properties. */
export function brandStylesheet(p: AccentPalette): string {
  return `/* PORTAL_ACCENT, generated at start (src/lib/brand.ts). */
:root {
  --primary: ${p.accent};
  --primary-hover: ${p.accentHover};
  --button-bg: ${p.accent};
  --button-bg-hover: ${p.accentHover};
  --focus: ${p.accent};
  --staff-border: ${p.accent};
}
@media (prefers-color-scheme: dark) {
  :root {
    --primary: ${p.darkText};
    --primary-hover: ${p.darkTextHover};
    --button-bg: ${p.accent};
    --button-bg-hover: ${p.darkButtonHover};
    --focus: ${p.darkText};
    --staff-border: ${p.darkText};
  }
}
`;
}

export type LogoType = 'image/png' | 'image/webp' | 'image/svg+xml';
const LOGO_EXTENSIONS: Record<LogoType, string> = {
  'image/png': 'png',
  'image/webp': 'webp',
  'image/svg+xml': 'svg',
};

const PNG_MAGIC = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
/** Before an SVG's root element: a BOM, white space, an XML declaration, comments and a doctype. */
const SVG_START =
  /^\uFEFF?\s*(<\?xml[^>]*\?>\s*)?(<!--[\s\S]*?-->\s*)*(<!DOCTYPE[^>[]*(\[[\s\S]*?\])?\s*>\s*)?(<!--[\s\S]*?-->\s*)*<svg[\s>]/i;

/** The logo's type from its first bytes (never its name), or null when it is not a PNG, WebP or SVG image. */
export function sniffLogo(body: Buffer): LogoType | null {
  if (body.length >= 8 && body.subarray(0, 8).equals(PNG_MAGIC)) {
    return 'image/png';
  }
  if (body.length >= 12 && body.toString('latin1', 0, 4) === 'RIFF' && body.toString('latin1', 8, 12) === 'WEBP') {
    return 'image/webp';
  }
  if (SVG_START.test(body.toString('utf8', 0, Math.min(body.length, 4096)))) {
    return 'image/svg+xml';
  }
  return null;
}

/** Where the app serves the logo: under /assets/ with a digest of its bytes, so it is cached for a year. */
export function logoUrlPath(logo: { body: Buffer; type: LogoType }): string {
  const digest = createHash('sha256').update(logo.body).digest('hex').slice(0, 12);
  return `/assets/brand/logo.${digest}.${LOGO_EXTENSIONS[logo.type]}`;
}
