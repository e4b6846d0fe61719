// The dashboard: polls the admin API, keeps what it read, and draws it. Every part refreshes on
// its own timer and shows its own state (data, "no data", "not available", an error), so one
// missing endpoint never blanks the rest of the screen.

import * as api from "./api.js";
import { Chart, clockTicks, COLORS, lineOptions } from "./charts.js";
import { clock, number, rate } from "./format.js";
import { initialLanguage, language, setLanguage, t } from "./i18n.js";
import { RateHistory } from "./rates.js";
import { renderChannels, renderOverdue, renderSources } from "./tables.js";
import {
  drawTurnaroundParts, initTurnaround, refreshTurnaround, refreshWaiting, reloadTrend,
  rotateIfAutomatic, TREND_REFRESH_MS,
} from "./turnaround.js";
import { $, panelMessage } from "./view.js";

const SECOND = 1000;
const REFRESH = {
  channels: 5 * SECOND,
  overdue: 15 * SECOND,
  turnaround: 60 * SECOND,
  rotate: 20 * SECOND,
};
const OVERDUE_ROWS = 12;

const state = {
  channels: null,
  rates: new RateHistory(30 * 60),
  lastOk: null,
  failedSince: null,
  overdue: { status: "loading", items: [], error: "" },
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
  // The window read so far, up to 30 minutes, and never less than a minute.
  const last = series.times[series.times.length - 1];
  // Read at every redraw, as the window moves on.
  chart.rangeX = [last - Math.max(60, last - series.times[0]), last];
  chart.show(key, () => lineOptions({
    series: lines,
    rangeX: () => chart.rangeX,
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
  drawTurnaroundParts();
}

function start() {
  setLanguage(initialLanguage(), false);
  charts.rates = new Chart($("rates-chart"));
  initTurnaround();
  for (const button of document.querySelectorAll("[data-lang]")) {
    button.addEventListener("click", () => {
      setLanguage(button.dataset.lang, true);
      drawAll();
    });
  }
  drawAll();
  every(REFRESH.channels, refreshChannels);
  every(REFRESH.overdue, refreshOverdue);
  every(REFRESH.turnaround, async () => {
    await refreshTurnaround();
    await refreshWaiting();
  });
  setInterval(rotateIfAutomatic, REFRESH.rotate);
  setInterval(reloadTrend, TREND_REFRESH_MS);
}

start();
