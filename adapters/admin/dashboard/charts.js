// Charts drawn with uPlot (loaded before this module as the global `uPlot`, embedded in the
// binary like the page). A Chart owns one uPlot in a container: it builds it on the first data,
// builds it again when the series change (other channels, another language), follows the
// container's size, and draws its own legend in HTML, large enough to read across a room.

const uPlot = window.uPlot;

export const COLORS = {
  text: "#c9d3df",
  grid: "rgba(201, 211, 223, 0.12)",
  error: "#ff6b6b",
  target: "#ff6b6b",
  series: ["#4fc3f7", "#81c784", "#ffd54f", "#ba68c8", "#4db6ac", "#f48fb1", "#aed581", "#90a4ae"],
  percentiles: { p50: "#81c784", p90: "#4fc3f7", p95: "#ffd54f" },
};
const FONT = "16px system-ui, 'Segoe UI', 'Noto Sans', Roboto, sans-serif";

function axis(format, extra = {}) {
  return {
    stroke: COLORS.text,
    font: FONT,
    grid: { stroke: COLORS.grid, width: 1 },
    ticks: { stroke: COLORS.grid, width: 1 },
    values: format ? (u, splits) => splits.map((v) => (v === null ? "" : format(v))) : undefined,
    ...extra,
  };
}

export class Chart {
  // `container` holds a .chart-plot and a .chart-legend element.
  constructor(container) {
    this.container = container;
    this.plotEl = container.querySelector(".chart-plot");
    this.legendEl = container.querySelector(".chart-legend");
    this.plot = null;
    this.key = null;
    this.resize = new ResizeObserver(() => this.fit());
    this.resize.observe(this.plotEl);
  }

  size() {
    return {
      width: Math.max(200, Math.floor(this.plotEl.clientWidth)),
      height: Math.max(120, Math.floor(this.plotEl.clientHeight)),
    };
  }

  fit() {
    if (this.plot) {
      const { width, height } = this.size();
      if (width !== this.plot.width || height !== this.plot.height) {
        this.plot.setSize({ width, height });
      }
    }
  }

  // Shows `data` ([xs, ys1, ys2, ...]). `key` names the series and their words: when it
  // differs from the last one the chart is built anew from `options()`.
  show(key, options, data, legend) {
    if (this.plot && key === this.key) {
      this.plot.setData(data);
      return;
    }
    this.clear();
    this.key = key;
    this.plot = new uPlot({ ...options(), ...this.size() }, data, this.plotEl);
    this.legend(legend);
  }

  legend(items) {
    this.legendEl.replaceChildren();
    for (const item of items ?? []) {
      const entry = document.createElement("span");
      entry.className = "legend-item" + (item.dash ? " legend-dashed" : "");
      const swatch = document.createElement("span");
      swatch.className = "legend-swatch";
      swatch.style.borderColor = item.color;
      entry.append(swatch, document.createTextNode(item.label));
      this.legendEl.append(entry);
    }
  }

  clear() {
    if (this.plot) {
      this.plot.destroy();
      this.plot = null;
    }
    this.key = null;
    this.legendEl.replaceChildren();
  }
}

// Tick labels for a time axis of seconds: HH:MM, or HH:MM:SS while the span is short.
export function clockTicks(toText) {
  return (u, splits) => {
    const span = splits.length > 1 ? splits[splits.length - 1] - splits[0] : 0;
    return splits.map((v) => (v === null ? "" : toText(new Date(v * 1000), span < 600)));
  };
}

// Lines over time. `series`: [{label, color, dash, points}]; xs are seconds since the epoch.
// `ticksX` (uPlot's values callback) overrides `formatX`; `rangeX` fixes the x range: [min,
// max], or a function that gives it at every redraw.
export function lineOptions({ series, formatX, ticksX, formatY, yMin = 0, rangeX, yLabel }) {
  return {
    legend: { show: false },
    cursor: { show: false },
    scales: {
      x: rangeX ? { time: true, range: typeof rangeX === "function" ? rangeX : () => rangeX }
        : { time: true },
      y: { range: (u, min, max) => [yMin, Math.max((max ?? 0) * 1.15, yMin + 1)] },
    },
    axes: [
      ticksX ? { ...axis(null, { space: 90 }), values: ticksX } : axis(formatX, { space: 90 }),
      axis(formatY, { size: 70, label: yLabel, labelFont: FONT, labelSize: 24 }),
    ],
    series: [
      {},
      ...series.map((s) => ({
        label: s.label,
        stroke: s.color,
        width: s.width ?? 3,
        dash: s.dash,
        spanGaps: s.spanGaps ?? false,
        points: { show: s.points ?? true, size: 7, fill: s.color },
      })),
    ],
  };
}

// A histogram: bars from bucket starts (xs) of width `step`, with an optional marker at
// `markerX` (a target) drawn as a dashed vertical line, and `xLabel` under the x axis.
export function histogramOptions({ label, color, step, formatX, formatY, markerX, xLabel }) {
  const bars = uPlot.paths.bars({ size: [0.92, Infinity], align: 1 });
  return {
    legend: { show: false },
    cursor: { show: false },
    scales: {
      x: { time: false, range: (u, min, max) => [min, max + step] },
      y: { range: (u, min, max) => [0, Math.max(max * 1.15, 1)] },
    },
    axes: [
      axis(formatX, { space: 70, label: xLabel, labelFont: FONT, labelSize: 26 }),
      axis(formatY, { size: 70 }),
    ],
    series: [{}, { label, fill: color, stroke: color, width: 0, paths: bars, points: { show: false } }],
    hooks: {
      draw: [
        (u) => {
          if (markerX === null || markerX === undefined) {
            return;
          }
          const x = Math.round(u.valToPos(markerX, "x", true));
          const ctx = u.ctx;
          ctx.save();
          ctx.strokeStyle = COLORS.target;
          ctx.lineWidth = 3;
          ctx.setLineDash([10, 8]);
          ctx.beginPath();
          ctx.moveTo(x, u.bbox.top);
          ctx.lineTo(x, u.bbox.top + u.bbox.height);
          ctx.stroke();
          ctx.restore();
        },
      ],
    },
  };
}
