/** Brand colour handling shared by the widget: only #rgb / #rrggbb are accepted. */

export const DEFAULT_COLOR = '#1f5fbf';

export function parseHex(color: string | null | undefined): [number, number, number] | null {
  const m = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.exec((color ?? '').trim());
  if (!m?.[1]) return null;
  let hex = m[1];
  if (hex.length === 3) hex = hex.replace(/./g, '$&$&');
  const n = parseInt(hex, 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

/** WCAG relative luminance. */
export function luminance([r, g, b]: [number, number, number]): number {
  const f = (v: number) => {
    const c = v / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
}

/**
 * The brand colour (or the default when it is not a hex colour) and the text colour that reads on
 * it best. White or black always reaches at least 4.58:1 against any background.
 */
export function brandColors(color: string | null | undefined): { bg: string; fg: string } {
  const rgb = parseHex(color);
  const bg = rgb ? color!.trim() : DEFAULT_COLOR;
  const l = luminance(rgb ?? parseHex(DEFAULT_COLOR)!);
  const onDark = 1.05 / (l + 0.05);
  const onLight = (l + 0.05) / 0.05;
  return { bg, fg: onDark >= onLight ? '#fff' : '#000' };
}
