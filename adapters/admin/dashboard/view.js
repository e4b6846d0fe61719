// Small pieces every part of the page uses to show its state.

import { t } from "./i18n.js";

export const $ = (id) => document.getElementById(id);

// Shows in `el` what a part has when it has no figures: nothing while loading, "no data",
// "not available" (the engine has no such endpoint or part running) or the error.
export function panelMessage(el, status, error) {
  const messages = {
    loading: "",
    empty: t("no_data"),
    unavailable: t("not_available"),
    failed: t("load_failed", { error }),
  };
  el.textContent = messages[status] ?? "";
  el.hidden = !el.textContent;
}

// Puts `chart` in the state `status`; true when it is "ok" and the chart is to be drawn.
export function chartMessage(chart, status, error) {
  const empty = status !== "ok";
  chart.container.classList.toggle("is-empty", empty);
  panelMessage(chart.container.querySelector(".chart-empty"), status === "ok" ? "loading" : status,
    error);
  if (empty) {
    chart.clear();
  }
  return !empty;
}
