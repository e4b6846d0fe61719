// The dashboard: polls the admin API, keeps what it read, and draws it. Every part refreshes on
// its own timer and shows its own state (data, "no data", "not available", an error), so one
// missing endpoint never blanks the rest of the screen.

import * as api from "./api.js";
import { Chart, clockTicks, COLORS, histogramOptions, lineOptions } from "./charts.js";
import {
  clock, dayLabel, duration, durationUnit, hourLabel, isoLocal, midnight, number, rate,
} from "./format.js";
import { initialLanguage, intervalLabel, language, priorityLabel, setLanguage, t } from "./i18n.js";
import { renderChannels, renderOverdue, renderSources, renderTurnaround } from "./tables.js";
import { RateHistory } from "./rates.js";

const SECOND = 1000;
const REFRESH = {
  channels: 5 * SECOND,
  overdue: 15 * SECOND,
  turnaround: 60 * SECOND,
  waiting: 60 * SECOND,
  trend: 120 * SECOND,
  rotate: 20 * SECOND,
};
const OVERDUE_ROWS = 12;
const WAITING_INTERVAL = "patient_wait_to_service";
const WAITING_BUCKET_S = 300;
const AUTO = "";

const $ = (id) => document.getElementById(id);

const state = {
  channels: null,
  rates: new RateHistory(30 * 60),
  lastOk: null,
  failedSince: null,
  intervals: null,
  turnaround: { status: "loading", rows: [], error: "" },
  overdue: { status: "loading", items: [], error: "" },
  waiting: { status: "loading", buckets: [], target: null, error: "" },
  trend: { selected: AUTO, shown: null, cache: new Map() },
};

const charts = {};

// ---- channels, sources and rates ----

async function refreshChannels() {
  const r = await api.channels();
  const now = Date.now();
  if (r.ok) {
    state.channels = r.data;
    state.rates.add(now / SECOND, r.data);
    state.lastOk = now;
    state.failedSince = null;
  } else if (state.failedSince === null) {
    state.failedSince = now;
  }
  drawStatus();
  drawChannels();
}

function drawStatus() {
  const el = $("status");
  const failing = state.failedSince !== null || state.lastOk === null;
  el.classList.toggle("status-bad", failing);
  el.classList.toggle("status-ok", !failing);
  let text;
  if (!failing) {
    text = `${t("live")} · ${t("updated", { time: clock(new Date(state.lastOk)) })}`;
  } else if (state.lastOk === null) {
    text = t("never_connected");
  } else {
    text = t("disconnected", { time: clock(new Date(state.failedSince)) });
  }
  $("status-text").textContent = text;
  document.body.classList.toggle("stale", failing && state.lastOk !== null);
}

function drawChannels() {
  const data = state.channels;
  if (!data) {
    return;
  }
  const channelRates = state.rates.current("channels");
  const sourceRates = state.rates.current("sources");
  renderChannels($("channels-table"), data.channels ?? [], channelRates);
  renderSources($("sources-table"), data.sources ?? [], sourceRates);
  drawKpis(data, sourceRates, channelRates);
  drawRateChart();
}

function setKpi(id, value, note, level) {
  const el = $(id);
  el.querySelector(".kpi-value").textContent = value;
  if (note !== undefined) {
    el.querySelector(".kpi-note").textContent = note;
  }
  el.classList.remove("kpi-ok", "kpi-warn", "kpi-bad");
  if (level) {
    el.classList.add("kpi-" + level);
  }
}

function drawKpis(data, sourceRates, channelRates) {
  const sources = data.sources ?? [];
  const channels = data.channels ?? [];
  const sum = (list, get) => list.reduce((total, x) => total + (get(x) ?? 0), 0);
  const received = sum(sources, (s) => s.received);
  const errors = sum(sources, (s) => (s.rejected ?? 0) + (s.store_failures ?? 0)) +
    sum(channels, (c) => c.counters?.failed);
  const queue = sum(sources, (s) => s.queue_depth);
  const total = state.rates.total(sourceRates, "rate");
  const errorRate = state.rates.total(sourceRates, "errorRate") +
    state.rates.total(channelRates, "errorRate");
  setKpi("kpi-rate", rate(total), total === null ? "" : t("per_minute_errors", { n: rate(errorRate) }),
    errorRate > 0 ? "warn" : null);
  setKpi("kpi-received", number(received), t("since_start"));
  setKpi("kpi-errors", number(errors), t("since_start"), errors > 0 ? "bad" : "ok");
  setKpi("kpi-queue", number(queue), "", queue > 0 ? "warn" : "ok");
}

function drawRateChart() {
  const chart = charts.rates;
  const series = state.rates.series();
  const empty = series.times.length < 1;
  chart.container.classList.toggle("is-empty", empty);
  if (empty) {
    chart.clear();
    return;
  }
  const lines = series.channels.map((name, i) => ({
    label: name,
    color: COLORS.series[i % COLORS.series.length],
  }));
  lines.push({ label: t("errors_series"), color: COLORS.error, dash: [8, 6] });
  const key = language() + "|" + series.channels.join("|");
  chart.show(key, () => lineOptions({
    series: lines,
    ticksX: clockTicks((date, short) => (short ? clock(date) : clock(date).slice(0, 5))),
    formatY: (v) => number(v, 1),
  }), [series.times, ...series.values, series.errors], lines);
}

// ---- overdue ----

async function refreshOverdue() {
  const r = await api.overdue();
  if (r.ok) {
    const items = Array.isArray(r.data.items) ? r.data.items.slice() : [];
    items.sort((a, b) => (b.age_s ?? 0) - (a.age_s ?? 0));
    state.overdue = { status: items.length ? "ok" : "empty", items, error: "" };
  } else {
    state.overdue = { status: r.unavailable ? "unavailable" : "failed", items: [], error: r.error };
  }
  drawOverdue();
}

function panelMessage(el, status, error) {
  const messages = {
    loading: "",
    empty: t("no_data"),
    unavailable: t("not_available"),
    failed: t("load_failed", { error }),
  };
  el.textContent = messages[status] ?? "";
  el.hidden = !el.textContent;
}

function drawOverdue() {
  const o = state.overdue;
  const table = $("overdue-table");
  const message = $("overdue-message");
  if (o.status === "empty") {
    message.textContent = t("overdue_none");
    message.hidden = false;
  } else {
    panelMessage(message, o.status, o.error);
  }
  table.hidden = o.status !== "ok";
  if (o.status === "ok") {
    renderOverdue(table, o.items, OVERDUE_ROWS);
    if (o.items.length > OVERDUE_ROWS) {
      message.textContent = t("overdue_more", { n: number(o.items.length - OVERDUE_ROWS) });
      message.hidden = false;
    }
  }
  const known = o.status === "ok" || o.status === "empty";
  $("overdue-count").textContent = known ? number(o.items.length) : "";
  setKpi("kpi-overdue", known ? number(o.items.length) : "–", "",
    known ? (o.items.length ? "bad" : "ok") : null);
}

// ---- turnaround: today and the last 7 days per interval and priority ----

async function loadIntervals() {
  const r = await api.intervals();
  if (r.ok) {
    state.intervals = r.data;
  }
  return r;
}

function targetOf(definition, priority) {
  const own = definition.targets ? definition.targets[priority] : undefined;
  return own ?? definition.default_target_s ?? null;
}

async function refreshTurnaround() {
  const listed = await loadIntervals();
  if (!listed.ok) {
    state.turnaround = { status: listed.unavailable ? "unavailable" : "failed", rows: [],
      error: listed.error };
    drawTurnaround();
    return;
  }
  const now = new Date();
  const to = isoLocal(now);
  const today = isoLocal(midnight(now));
  const week = isoLocal(midnight(now, -6));
  const rows = [];
  for (const definition of state.intervals) {
    const [d, w] = await Promise.all([api.turnaround(definition.name, today, to),
      api.turnaround(definition.name, week, to)]);
    if (!d.ok || !w.ok) {
      const failed = d.ok ? w : d;
      state.turnaround = { status: "failed", rows: [], error: failed.error };
      drawTurnaround();
      return;
    }
    rows.push(...mergeGroups(definition, d.data.groups ?? [], w.data.groups ?? []));
  }
  state.turnaround = { status: rows.length ? "ok" : "empty", rows, error: "" };
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
  const s = state.turnaround;
  panelMessage($("tat-message"), s.status, s.error);
  const table = $("tat-table");
  table.hidden = s.status !== "ok";
  if (s.status === "ok") {
    renderTurnaround(table, s.rows);
  }
}

// ---- the waiting-time distribution ----

async function refreshWaiting() {
  const now = new Date();
  const r = await api.distribution(WAITING_INTERVAL, isoLocal(midnight(now)), isoLocal(now),
    WAITING_BUCKET_S);
  if (!r.ok) {
    state.waiting = { status: r.unavailable ? "unavailable" : "failed", buckets: [], target: null,
      error: r.error };
  } else {
    const buckets = (r.data.buckets ?? []).filter((b) => b.count !== undefined);
    const definition = (state.intervals ?? []).find((d) => d.name === WAITING_INTERVAL);
    const total = buckets.reduce((n, b) => n + b.count, 0);
    state.waiting = { status: total ? "ok" : "empty", buckets,
      target: definition ? targetOf(definition, "") : null, error: "" };
  }
  drawWaiting();
}

function chartMessage(chart, status, error) {
  const empty = status !== "ok";
  chart.container.classList.toggle("is-empty", empty);
  panelMessage(chart.container.querySelector(".chart-empty"), status === "ok" ? "loading" : status,
    error);
  if (empty) {
    chart.clear();
  }
  return !empty;
}

function drawWaiting() {
  const w = state.waiting;
  const chart = charts.waiting;
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
    formatX: (v) => `${number(v)}`,
    formatY: (v) => (Number.isInteger(v) ? number(v) : ""),
  }), [xs, counts], legend);
}

// ---- the trend of one interval: today by hour, the last 7 days by day ----

// The intervals the trend can show: those with figures in the last 7 days.
function trendCandidates() {
  const names = [];
  for (const r of state.turnaround.rows) {
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
    option.selected = value === state.trend.selected;
    return option;
  }));
  if (state.trend.shown === null || !trendCandidates().includes(state.trend.shown)) {
    rotateTrend();
  }
}

function rotateTrend() {
  const names = trendCandidates();
  if (state.trend.selected !== AUTO && names.includes(state.trend.selected)) {
    state.trend.shown = state.trend.selected;
  } else if (names.length) {
    const at = names.indexOf(state.trend.shown);
    state.trend.shown = names[(at + 1) % names.length];
  } else {
    state.trend.shown = null;
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
        return { error: r.error, unavailable: r.unavailable };
      }
      result[field].push({ x: from.getTime() / SECOND, groups: r.data.groups ?? [] });
    }
  }
  return result;
}

async function showTrend(reload) {
  const name = state.trend.shown;
  $("trend-title").textContent = name ? intervalLabel(name) : "";
  if (!name) {
    for (const chart of [charts.trendToday, charts.trendWeek]) {
      chartMessage(chart, state.turnaround.status === "ok" ? "empty" : state.turnaround.status,
        state.turnaround.error);
    }
    return;
  }
  let data = state.trend.cache.get(name);
  if (reload || !data || Date.now() - data.at > REFRESH.trend) {
    data = await loadTrend(name);
    if (!data.error) {
      state.trend.cache.set(name, data);
    }
  }
  if (name !== state.trend.shown) {
    return;  // the rotation moved on while this loaded
  }
  drawTrend(charts.trendToday, name, data, "today");
  drawTrend(charts.trendWeek, name, data, "week");
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
  const definition = (state.intervals ?? []).find((d) => d.name === name) ?? {};
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

// ---- timers and the language switch ----

function every(ms, task) {
  const run = async () => {
    try {
      await task();
    } finally {
      setTimeout(run, ms);
    }
  };
  run();
}

function drawAll() {
  setLanguage(language(), false);
  for (const button of document.querySelectorAll("[data-lang]")) {
    button.setAttribute("aria-pressed", String(button.dataset.lang === language()));
  }
  drawStatus();
  drawChannels();
  drawOverdue();
  drawTurnaround();
  drawTrendSelect();
  drawWaiting();
  if (state.trend.shown) {
    showTrend(false);
  }
}

function start() {
  setLanguage(initialLanguage(), false);
  charts.rates = new Chart($("rates-chart"));
  charts.waiting = new Chart($("waiting-chart"));
  charts.trendToday = new Chart($("trend-today"));
  charts.trendWeek = new Chart($("trend-week"));
  for (const button of document.querySelectorAll("[data-lang]")) {
    button.addEventListener("click", () => {
      setLanguage(button.dataset.lang, true);
      drawAll();
    });
  }
  $("trend-select").addEventListener("change", (e) => {
    state.trend.selected = e.target.value;
    rotateTrend();
  });
  drawAll();
  every(REFRESH.channels, refreshChannels);
  every(REFRESH.overdue, refreshOverdue);
  every(REFRESH.turnaround, async () => {
    await refreshTurnaround();
    await refreshWaiting();
  });
  setInterval(() => {
    if (state.trend.selected === AUTO) {
      rotateTrend();
    }
  }, REFRESH.rotate);
  setInterval(() => showTrend(true), REFRESH.trend);
}

start();
