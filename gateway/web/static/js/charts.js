// Charts for the GTR pages, on the vendored uPlot (docs/dashboard.md says why uPlot). A page
// loads it with a classic script before its own module:
//   <link rel="stylesheet" href="/static/vendor/uplot/uPlot.min.css">
//   <script src="/static/vendor/uplot/uPlot.iife.min.js"></script>
// A chart is a canvas, which a screen reader cannot read: each one is an image named by its
// `summary` (say the figures that matter), and the page keeps the data in a table beside it
// (the same table its CSV export writes).

const COLORS = { bar: "#1f3a68", line: "#2f6fe4" }; // --brand and the derivado dot of dashboard.css

function library() {
  const uPlot = globalThis.uPlot;
  if (!uPlot) throw new Error("charts.js needs /static/vendor/uplot/uPlot.iife.min.js loaded first");
  return uPlot;
}

/** Sizes the chart to its container now and whenever the container changes width. */
function fit(chart, container, height) {
  const resize = () => chart.setSize({ width: Math.max(200, container.clientWidth), height });
  new ResizeObserver(resize).observe(container);
  resize();
}

function label(container, summary) {
  container.setAttribute("role", "img");
  container.setAttribute("aria-label", summary);
}

/**
 * Bars over categories (timeouts per asesor; a histogram is bars over its bins, labelled
 * "0–1 min"...). `labels` and `values` are parallel arrays; `name` is the series' name.
 */
export function barChart(container, { labels, values, name, summary, color = COLORS.bar, height = 240 }) {
  const uPlot = library();
  const xs = labels.map((_, i) => i);
  const chart = new uPlot({
    width: Math.max(200, container.clientWidth), height,
    legend: { show: false },
    cursor: { drag: { x: false, y: false } },
    scales: { x: { time: false, range: () => [-0.5, labels.length - 0.5] }, y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
    axes: [
      { splits: () => xs, values: (_u, splits) => splits.map((i) => labels[i] ?? ""), gap: 6 },
      { values: (_u, splits) => splits.map((v) => (Number.isInteger(v) ? v : "")) },
    ],
    series: [{}, { label: name, fill: color, stroke: color, width: 0, paths: uPlot.paths.bars({ size: [0.7, 64] }), points: { show: false } }],
  }, [xs, values], container);
  label(container, summary);
  fit(chart, container, height);
  return chart;
}

/**
 * Lines over a numeric x (completions per hour: x is the hour 0..23). `series` is
 * [{name, values, color?}, ...], each parallel to `x`; `xLabel(x)` writes a tick.
 */
export function lineChart(container, { x, series, summary, xLabel = String, height = 240 }) {
  const uPlot = library();
  const chart = new uPlot({
    width: Math.max(200, container.clientWidth), height,
    legend: { show: series.length > 1 },
    scales: { x: { time: false }, y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
    axes: [{ values: (_u, splits) => splits.map((v) => (Number.isInteger(v) ? xLabel(v) : "")) }, {}],
    series: [{}, ...series.map((s) => ({ label: s.name, stroke: s.color || COLORS.line, width: 2 }))],
  }, [x, ...series.map((s) => s.values)], container);
  label(container, summary);
  fit(chart, container, height);
  return chart;
}
