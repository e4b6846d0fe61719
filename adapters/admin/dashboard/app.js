// The dashboard: polls the admin API, keeps what it read, and draws it. Every part refreshes on
// its own timer and shows its own state (data, "no data", "not available", an error), so one
// missing endpoint never blanks the rest of the screen. When the engine asks for a token (a 401),
// the timers stop and signin.js asks for one; they start again once one is entered.

import * as api from "./api.js";
import { Chart, clockTicks, COLORS, lineOptions } from "./charts.js";
import { clock, number, rate } from "./format.js";
import { initialLanguage, language, setLanguage, t } from "./i18n.js";
import { RateHistory } from "./rates.js";
import { drawSignIn, initSignIn, signInShown } from "./signin.js";
import { renderChannels, renderOverdue, renderSources } from "./tables.js";
import {
  drawTurnaroundParts, initTurnaround, refreshTurnaround, refreshWaiting, reloadTrend,
  resetTurnaround, rotateIfAutomatic, TREND_REFRESH_MS,
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

const state = {};

// What the page knows before its first reading, and again after a sign-out: the figures read
// with the last token are not shown to whoever signs in next.
function resetState() {
  Object.assign(state, {
    channels: null,
    rates: new RateHistory(30 * 60),
    lastOk: null,
    failedSince: null,
    overdue: { status: "loading", items: [], error: "" },
  });
}

const charts = {};

// ---- channels, sources and rates ----

async function refreshChannels() {
  const r = await api.channels();
  const now = Date.now();
  if (r.unauthorized) {
    return;  // the sign-in panel says so
  }
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
  const signIn = signInShown();
  const failing = !signIn && (state.failedSince !== null || state.lastOk === null);
  el.classList.toggle("status-bad", failing);
  el.classList.toggle("status-ok", !failing && !signIn);
  let text;
  if (signIn) {
    text = t("sign_in_needed");
  } else if (!failing) {
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
    clearChannels();
    return;
  }
  const channelRates = state.rates.current("channels");
  const sourceRates = state.rates.current("sources");
  renderChannels($("channels-table"), data.channels ?? [], channelRates);
  renderSources($("sources-table"), data.sources ?? [], sourceRates);
  drawAlerts(data.certificates ?? []);
  drawKpis(data, sourceRates, channelRates);
  drawRateChart();
}

// Certificates near their end or past it, above everything: when one lapses every TLS link
// of its server stops at once.
function drawAlerts(certificates) {
  const list = $("alerts");
  const items = certificates.filter((c) => c.state !== "ok").map((c) => {
    const li = document.createElement("li");
    li.className = c.state === "expired" ? "alert-bad" : "alert-warn";
    li.dataset.server = c.server;
    li.textContent = t(c.state === "expired" ? "cert_expired" : "cert_expiring",
      { server: c.server, days: c.days_left, date: c.expires_at.slice(0, 10) });
    return li;
  });
  list.replaceChildren(...items);
  list.hidden = items.length === 0;
}

// Before the first reading: the tiles show "–" and the tables and the rate chart are empty.
function clearChannels() {
  $("channels-table").replaceChildren();
  $("sources-table").replaceChildren();
  for (const id of ["kpi-rate", "kpi-received", "kpi-errors", "kpi-queue"]) {
    setKpi(id, "–", id === "kpi-received" ? t("since_start") : "", null);
  }
  charts.rates.container.classList.add("is-empty");
  charts.rates.clear();
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
  if (r.unauthorized) {
    return;
  }
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
  if (o.status !== "ok") {
    table.replaceChildren();  // no patient ids left in the page once signed out
  } else {
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

// ---- timers, signing in and out, and the language switch ----

// Every timer belongs to a run of the page's polling; stopping ends the run, and a task still
// answering when it stopped does not schedule its next turn.
const timers = { run: 0, intervals: [] };

function every(ms, task) {
  const run = timers.run;
  const turn = async () => {
    if (run !== timers.run) {
      return;
    }
    try {
      await task();
    } finally {
      if (run === timers.run) {
        setTimeout(turn, ms);
      }
    }
  };
  turn();
}

function startTimers() {
  stopTimers();
  every(REFRESH.channels, refreshChannels);
  every(REFRESH.overdue, refreshOverdue);
  every(REFRESH.turnaround, async () => {
    await refreshTurnaround();
    await refreshWaiting();
  });
  timers.intervals.push(setInterval(rotateIfAutomatic, REFRESH.rotate),
    setInterval(reloadTrend, TREND_REFRESH_MS));
}

function stopTimers() {
  timers.run += 1;
  timers.intervals.forEach(clearInterval);
  timers.intervals = [];
}

// The panel is up: no polling, and nothing read with the token given up stays in the page.
function signedOut() {
  stopTimers();
  resetState();
  resetTurnaround();
  drawAll();
}

function drawAll() {
  setLanguage(language(), false);
  for (const button of document.querySelectorAll("[data-lang]")) {
    button.setAttribute("aria-pressed", String(button.dataset.lang === language()));
  }
  drawSignIn();
  drawStatus();
  drawChannels();
  drawOverdue();
  drawTurnaroundParts();
}

function start() {
  setLanguage(initialLanguage(), false);
  resetState();
  charts.rates = new Chart($("rates-chart"));
  initTurnaround();
  initSignIn(startTimers, signedOut);
  for (const button of document.querySelectorAll("[data-lang]")) {
    button.addEventListener("click", () => {
      setLanguage(button.dataset.lang, true);
      drawAll();
    });
  }
  drawAll();
  startTimers();
}

start();
