/**
 * SVG -> PNG through @resvg/resvg-js (the only importer of it). System fonts are loaded so text renders
 * (DejaVu Sans is the default family; Debian/Ubuntu ship it as fonts-dejavu-core).
 */
import { Resvg } from '@resvg/resvg-js';

/** Renders an SVG document to PNG bytes at its own size times `scale` (default 1). */
export function renderPng(svg: string, scale = 1): Uint8Array {
  const resvg = new Resvg(svg, {
    font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans', sansSerifFamily: 'DejaVu Sans' },
    fitTo: scale === 1 ? { mode: 'original' } : { mode: 'zoom', value: scale },
    background: '#ffffff',
    logLevel: 'off',
  });
  return new Uint8Array(resvg.render().asPng());
}
