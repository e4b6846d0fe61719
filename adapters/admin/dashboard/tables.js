// The dashboard's tables, rebuilt from data on every refresh (they are small). Text goes in
// through textContent only: names and ids come from messages and are never read as HTML.

import { durationShort, number, rate } from "./format.js";
import { intervalLabel, priorityLabel, t } from "./i18n.js";

function cell(tag, text, className) {
  const el = document.createElement(tag);
  el.textContent = text;
  if (className) {
    el.className = className;
  }
  return el;
}

function row(cells) {
  const tr = document.createElement("tr");
  tr.append(...cells);
  return tr;
}

function head(table, ...rows) {
  const thead = document.createElement("thead");
  thead.append(...rows);
  const tbody = document.createElement("tbody");
  table.replaceChildren(thead, tbody);
  return tbody;
}

function headers(keys) {
  return row(keys.map(([key, className]) => cell("th", key ? t(key) : "", className)));
}

// `rates`: Map name → {rate, errorRate} per minute, or nothing yet.
export function renderChannels(table, channels, rates) {
  const body = head(table, headers([["channel"], ["processed", "num"], ["failed", "num"],
    ["rate", "num"], ["error_rate", "num"], ["queue", "num"]]));
  for (const c of channels) {
    const counters = c.counters ?? {};
    const r = rates.get(c.name);
    const failed = counters.failed ?? null;
    const tr = row([
      cell("td", c.name, "name"),
      cell("td", number(counters.processed ?? null), "num"),
      cell("td", number(failed), "num" + (failed > 0 ? " bad" : "")),
      cell("td", rate(r?.rate ?? null), "num big"),
      cell("td", rate(r?.errorRate ?? null), "num" + (r?.errorRate > 0 ? " bad" : "")),
      cell("td", number(c.queue_depth ?? null), "num" + (c.queue_depth > 0 ? " warn" : "")),
    ]);
    tr.dataset.channel = c.name;
    body.append(tr);
  }
}

export function renderSources(table, sources, rates) {
  const body = head(table, headers([["source"], ["received", "num"], ["rejected", "num"],
    ["duplicates", "num"], ["rate", "num"], ["queue", "num"]]));
  for (const s of sources) {
    const r = rates.get(s.name);
    const tr = row([
      cell("td", `${s.name} (${s.type})`, "name"),
      cell("td", number(s.received ?? null), "num"),
      cell("td", number(s.rejected ?? null), "num" + (s.rejected > 0 ? " bad" : "")),
      cell("td", number(s.duplicates ?? null), "num"),
      cell("td", rate(r?.rate ?? null), "num big"),
      cell("td", number(s.queue_depth ?? null), "num" + (s.queue_depth > 0 ? " warn" : "")),
    ]);
    tr.dataset.source = s.name;
    body.append(tr);
  }
}

// How a percentile compares with its target: ok, near (within 20 % below), over.
function against(value, target) {
  if (value === null || value === undefined || !target) {
    return "";
  }
  if (value > target) {
    return " over";
  }
  return value > 0.8 * target ? " near" : " ok";
}

function figures(group, target) {
  if (!group || !group.count) {
    return [cell("td", "0", "num dim"), cell("td", "–", "num dim"), cell("td", "–", "num dim"),
      cell("td", "–", "num dim")];
  }
  return [
    cell("td", number(group.count), "num"),
    cell("td", durationShort(group.p50_s), "num" + against(group.p50_s, target)),
    cell("td", durationShort(group.p90_s), "num big" + against(group.p90_s, target)),
    cell("td", durationShort(group.p95_s), "num" + against(group.p95_s, target)),
  ];
}

// `rows`: [{interval, priority, target, today, week}] with the API's groups (or null).
export function renderTurnaround(table, rows) {
  const top = row([cell("th", ""), cell("th", ""), cell("th", ""),
    cell("th", t("today"), "group"), cell("th", t("last7"), "group"), cell("th", "")]);
  top.children[3].colSpan = 4;
  top.children[4].colSpan = 4;
  const body = head(table, top, headers([["interval"], ["priority"], ["target", "num"],
    ["count", "num"], [null, "num p"], [null, "num p"], [null, "num p"],
    ["count", "num"], [null, "num p"], [null, "num p"], [null, "num p"], ["breaches", "num"]]));
  const second = table.tHead.rows[1];
  for (const [index, label] of [[4, "p50"], [5, "p90"], [6, "p95"], [8, "p50"], [9, "p90"],
    [10, "p95"]]) {
    second.children[index].textContent = label;
  }
  for (const r of rows) {
    const week = r.week;
    const breachPct = week && week.count ? week.breach_pct : null;
    const tr = row([
      cell("td", intervalLabel(r.interval), "name"),
      cell("td", priorityLabel(r.priority), "priority priority-" + (r.priority || "any")),
      cell("td", r.target ? durationShort(r.target) : "–", "num"),
      ...figures(r.today, r.target),
      ...figures(week, r.target),
      cell("td", breachPct === null ? "–" : `${number(breachPct, 1)} %`,
        "num" + (breachPct > 0 ? " bad" : "")),
    ]);
    tr.dataset.interval = r.interval;
    body.append(tr);
  }
}

// A cell of a main line and a smaller second one.
function twoLines(main, second, className) {
  const td = cell("td", "", className);
  td.append(cell("div", main, "line-main"), cell("div", second, "line-second"));
  return td;
}

// `items`: the API's overdue clocks, oldest first; at most `limit` rows are shown.
export function renderOverdue(table, items, limit) {
  const body = head(table, headers([["patient"], ["department"], ["priority"], ["age", "num"]]));
  for (const item of items.slice(0, limit)) {
    const order = item.order_no || item.visit_id || item.message_id || "";
    const service = [item.service_code, item.modality].filter(Boolean).join(" · ");
    const tr = row([
      twoLines(item.patient_id || "–", order + (service ? ` · ${service}` : ""), "name"),
      twoLines(item.department || "–", intervalLabel(item.interval)),
      cell("td", priorityLabel(item.priority), "priority priority-" + (item.priority || "any")),
      twoLines(durationShort(item.age_s), `${t("target")} ${durationShort(item.target_s)}`,
        "num over"),
    ]);
    body.append(tr);
  }
}
