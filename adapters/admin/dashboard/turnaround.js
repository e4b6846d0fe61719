// The turnaround parts of the dashboard: the table of today and the last 7 days per interval
// and priority against targets, the waiting-time histogram and the trend of one interval (today
// by hour, the last 7 days by day), rotating through the intervals that have figures.

import * as api from "./api.js";
import { Chart, COLORS, histogramOptions, lineOptions } from "./charts.js";
import { dayLabel, duration, durationUnit, hourLabel, isoLocal, midnight, number } from "./format.js";
import { intervalLabel, language, priorityLabel, t } from "./i18n.js";
import { renderTurnaround } from "./tables.js";
import { $, chartMessage, panelMessage } from "./view.js";

const SECOND = 1000;
export const TREND_REFRESH_MS = 120 * SECOND;
const WAITING_INTERVAL = "patient_wait_to_service";
const WAITING_BUCKET_S = 300;
const AUTO = "";

const tat = { charts: {} };

// Nothing read yet: at the start, and after a sign-out (figures read with another token).
export function resetTurnaround() {
  Object.assign(tat, {
    intervals: null,
    turnaround: { status: "loading", rows: [], error: "" },
    waiting: { status: "loading", buckets: [], target: null, error: "" },
    trend: { selected: tat.trend?.selected ?? AUTO, shown: null, cache: new Map() },
  });
}

export function initTurnaround() {
  resetTurnaround();
  tat.charts.waiting = new Chart($("waiting-chart"));
  tat.charts.trendToday = new Chart($("trend-today"));
  tat.charts.trendWeek = new Chart($("trend-week"));
  $("trend-select").addEventListener("change", (e) => {
    tat.trend.selected = e.target.value;
    rotateTrend();
  });
}

// Draws every turnaround part again from what was read last (after a language switch).
export function drawTurnaroundParts() {
  drawTurnaround();
  drawTrendSelect();
  drawWaiting();
  if (tat.trend.shown) {
    showTrend(false);
  }
}

// The rotation's step: the next interval, unless one is chosen in the list.
export function rotateIfAutomatic() {
  if (tat.trend.selected === AUTO) {
    rotateTrend();
  }
}

export function reloadTrend() {
  return showTrend(true);
}

// ---- turnaround: today and the last 7 days per interval and priority ----

async function loadIntervals() {
  const r = await api.intervals();
  if (r.ok) {
    tat.intervals = r.data;
  }
  return r;
}

function targetOf(definition, priority) {
  const own = definition.targets ? definition.targets[priority] : undefined;
  return own ?? definition.default_target_s ?? null;
}

export async function refreshTurnaround() {
  const listed = await loadIntervals();
  if (listed.unauthorized) {
    return;  // the sign-in panel says so; the part stays as it was
  }
  if (!listed.ok) {
    tat.turnaround = { status: listed.unavailable ? "unavailable" : "failed", rows: [],
      error: listed.error };
    drawTurnaround();
    return;
  }
  const now = new Date();
  const to = isoLocal(now);
  const today = isoLocal(midnight(now));
  const week = isoLocal(midnight(now, -6));
  const rows = [];
  for (const definition of tat.intervals) {
    const [d, w] = await Promise.all([api.turnaround(definition.name, today, to),
      api.turnaround(definition.name, week, to)]);
    if (!d.ok || !w.ok) {
      const failed = d.ok ? w : d;
      if (failed.unauthorized) {
        return;
      }
      tat.turnaround = { status: "failed", rows: [], error: failed.error };
      drawTurnaround();
      return;
    }
    rows.push(...mergeGroups(definition, d.data.groups ?? [], w.data.groups ?? []));
  }
  tat.turnaround = { status: rows.length ? "ok" : "empty", rows, error: "" };
  drawTurnaround();
  drawTrendSelect();
}

// One row per priority seen in either window; an interval with no figures at all gets none.
function mergeGroups(definition, todayGroups, weekGroups) {
  const byPriority = new Map();
  const add = (group, field) => {
    const priority = group.key?.priority ?? "";
    if (!byPriority.has(priority)) {
      byPriority.set(priority, { interval: definition.name, priority, target: null,
        today: null, week: null });
    }
    const row = byPriority.get(priority);
    row[field] = group;
    row.target = group.target_s ?? row.target ?? targetOf(definition, priority);
  };
  todayGroups.forEach((g) => add(g, "today"));
  weekGroups.forEach((g) => add(g, "week"));
  return [...byPriority.values()]
    .filter((r) => (r.week?.count ?? 0) + (r.week?.invalid ?? 0) > 0)
    .sort((a, b) => a.priority.localeCompare(b.priority));
}

function drawTurnaround() {
  const s = tat.turnaround;
  panelMessage($("tat-message"), s.status, s.error);
  const table = $("tat-table");
  table.hidden = s.status !== "ok";
  if (s.status === "ok") {
    renderTurnaround(table, s.rows);
  }
}

// ---- the waiting-time distribution ----

export async function refreshWaiting() {
  const now = new Date();
  const r = await api.distribution(WAITING_INTERVAL, isoLocal(midnight(now)), isoLocal(now),
    WAITING_BUCKET_S);
  if (r.unauthorized) {
    return;
  }
  if (!r.ok) {
    tat.waiting = { status: r.unavailable ? "unavailable" : "failed", buckets: [], target: null,
      error: r.error };
  } else {
    const buckets = (r.data.buckets ?? []).filter((b) => b.count !== undefined);
    const definition = (tat.intervals ?? []).find((d) => d.name === WAITING_INTERVAL);
    const total = buckets.reduce((n, b) => n + b.count, 0);
    tat.waiting = { status: total ? "ok" : "empty", buckets,
      target: definition ? targetOf(definition, "") : null, error: "" };
  }
  drawWaiting();
}

function drawWaiting() {
  const w = tat.waiting;
  const chart = tat.charts.waiting;
  if (!chartMessage(chart, w.status, w.error)) {
    return;
  }
  const xs = w.buckets.map((b) => b.from_s / 60);
  const counts = w.buckets.map((b) => b.count);
  const legend = [{ label: t("patients"), color: COLORS.series[0] }];
  if (w.target) {
    legend.push({ label: `${t("target")} ${duration(w.target)}`, color: COLORS.target, dash: true });
  }
  chart.show(language() + "|" + w.target, () => histogramOptions({
    label: t("patients"),
    color: COLORS.series[0],
    step: WAITING_BUCKET_S / 60,
    markerX: w.target ? w.target / 60 : null,
    xLabel: t("waiting_axis"),
    formatX: (v) => `${number(v)}`,
    formatY: (v) => (Number.isInteger(v) ? number(v) : ""),
  }), [xs, counts], legend);
}

// ---- the trend of one interval: today by hour, the last 7 days by day ----

// The intervals the trend can show: those with figures in the last 7 days.
function trendCandidates() {
  const names = [];
  for (const r of tat.turnaround.rows) {
    if (!names.includes(r.interval)) {
      names.push(r.interval);
    }
  }
  return names;
}

function drawTrendSelect() {
  const select = $("trend-select");
  const options = [[AUTO, t("auto_rotate")], ...trendCandidates().map((n) => [n, intervalLabel(n)])];
  select.replaceChildren(...options.map(([value, label]) => {
    const option = document.createElement("option");
    option.value = value;
    option.textContent = label;
    option.selected = value === tat.trend.selected;
    return option;
  }));
  if (tat.trend.shown === null || !trendCandidates().includes(tat.trend.shown)) {
    rotateTrend();
  }
}

function rotateTrend() {
  const names = trendCandidates();
  if (tat.trend.selected !== AUTO && names.includes(tat.trend.selected)) {
    tat.trend.shown = tat.trend.selected;
  } else if (names.length) {
    const at = names.indexOf(tat.trend.shown);
    tat.trend.shown = names[(at + 1) % names.length];
  } else {
    tat.trend.shown = null;
  }
  showTrend(false);
}

// Windows [from, to) of the buckets, as Dates; the last one ends now.
function buckets(now, byHour) {
  const list = [];
  if (byHour) {
    const start = midnight(now);
    for (let h = 0; h <= now.getHours(); ++h) {
      const from = new Date(start.getTime() + h * 3600 * SECOND);
      list.push([from, new Date(Math.min(from.getTime() + 3600 * SECOND, now.getTime()))]);
    }
  } else {
    for (let d = -6; d <= 0; ++d) {
      list.push([midnight(now, d), d === 0 ? now : midnight(now, d + 1)]);
    }
  }
  return list;
}

async function loadTrend(name) {
  const now = new Date();
  const result = { at: now.getTime(), today: [], week: [] };
  for (const [field, byHour] of [["today", true], ["week", false]]) {
    for (const [from, to] of buckets(now, byHour)) {
      const r = await api.turnaround(name, isoLocal(from), isoLocal(to));
      if (!r.ok) {
        return { error: r.error, unavailable: r.unavailable, unauthorized: r.unauthorized };
      }
      result[field].push({ x: from.getTime() / SECOND, groups: r.data.groups ?? [] });
    }
  }
  return result;
}

async function showTrend(reload) {
  const name = tat.trend.shown;
  $("trend-title").textContent = name ? intervalLabel(name) : "";
  if (!name) {
    for (const chart of [tat.charts.trendToday, tat.charts.trendWeek]) {
      chartMessage(chart, tat.turnaround.status === "ok" ? "empty" : tat.turnaround.status,
        tat.turnaround.error);
    }
    return;
  }
  let data = tat.trend.cache.get(name);
  if (reload || !data || Date.now() - data.at > TREND_REFRESH_MS) {
    data = await loadTrend(name);
    if (!data.error) {
      tat.trend.cache.set(name, data);
    }
  }
  if (name !== tat.trend.shown || data.unauthorized) {
    return;  // the rotation moved on while this loaded, or the page is signed out
  }
  drawTrend(tat.charts.trendToday, name, data, "today");
  drawTrend(tat.charts.trendWeek, name, data, "week");
}

function drawTrend(chart, name, data, field) {
  if (data.error) {
    chartMessage(chart, data.unavailable ? "unavailable" : "failed", data.error);
    return;
  }
  const points = data[field];
  const priorities = [...new Set(points.flatMap((p) => p.groups.filter((g) => g.count)
    .map((g) => g.key?.priority ?? "")))].sort();
  if (!chartMessage(chart, priorities.length ? "ok" : "empty", "")) {
    return;
  }
  const definition = (tat.intervals ?? []).find((d) => d.name === name) ?? {};
  const lines = [];
  const values = [];
  priorities.forEach((priority, i) => {
    const color = COLORS.series[i % COLORS.series.length];
    const label = priorities.length > 1 || priority ? priorityLabel(priority) + " · " : "";
    lines.push({ label: label + "p90", color });
    values.push(points.map((p) => p.groups.find((g) => (g.key?.priority ?? "") === priority &&
      g.count)?.p90_s ?? null));
    const target = targetOf(definition, priority);
    if (target) {
      lines.push({ label: `${label}${t("target")} ${duration(target)}`, color, dash: [10, 8],
        points: false, width: 2, spanGaps: true });
      values.push(points.map(() => target));
    }
  });
  const unit = durationUnit(Math.max(0, ...values.flat().filter((v) => v !== null)));
  const scaled = values.map((list) => list.map((v) => (v === null ? null : v / unit.seconds)));
  const xs = points.map((p) => p.x);
  const day = 86400;
  const byHour = field === "today";
  const rangeX = byHour ? [xs[0], xs[0] + day] : [xs[0] - day / 2, xs[xs.length - 1] + day / 2];
  const formatX = byHour ? (v) => hourLabel(new Date(v * SECOND))
    : (v) => dayLabel(new Date(v * SECOND));
  const legend = lines.map((l) => ({ label: l.label, color: l.color, dash: !!l.dash }));
  chart.show(`${language()}|${name}|${field}|${xs[0]}|${unit.label}|${legend.map((l) => l.label).join("|")}`,
    () => lineOptions({ series: lines, formatX, rangeX, yLabel: unit.label,
      formatY: (v) => number(v, v < 10 ? 1 : 0) }),
    [xs, ...scaled], legend);
}
