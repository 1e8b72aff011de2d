/** Plotting: SVG line charts, the artifact plot, and PNG rendering. */
export { lineChart, renderPanel, type LineChartSpec, type PanelSpec, type Series } from './chart.js';
export { plotArtifact, type PlotOptions } from './artifact-plot.js';
export { renderPng } from './png.js';
