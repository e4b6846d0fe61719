// What the dashboard's browser halves (dashboard_browser.mjs, dashboard_auth_browser.mjs)
// share: Debian's headless Chromium driven by playwright-core, the watch on everything the
// browser reports, and a snapshot of what the page shows, waited for with a deadline.

import fs from "node:fs";
import path from "node:path";

export const CHROMIUM = "/usr/bin/chromium";
const TIMEOUT_MS = 30000;

export class Failure extends Error {}

export function check(condition, message) {
  if (!condition) {
    throw new Failure(message);
  }
}

async function loadPlaywright() {
  try {
    return await import("playwright-core");
  } catch (e) {
    console.log(`skipped: playwright-core is not installed (npm ci in ${import.meta.dirname ?? "tests/integration/dashboard"}): ${e.message}`);
    process.exit(77);
  }
}

// Every problem the browser reports while the page runs. `expected(status, url)` says which
// answers of 400 and above the test causes on purpose; Chromium logs each of those as a
// console error too ("Failed to load resource"), which then is no problem either.
export function watch(page, origin, expected = () => false) {
  const problems = [];
  page.on("console", (m) => {
    // "Failed to load resource: the server responded with a status of 401 (Unauthorized)"
    const status = Number(/status of (\d+)/.exec(m.text())?.[1] ?? 0);
    const failedLoad = m.text().startsWith("Failed to load resource") &&
      expected(status, m.location().url);
    if (m.type() === "error" && !failedLoad) {
      problems.push(`console error: ${m.text()} (${m.location().url})`);
    }
  });
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("requestfailed", (r) => problems.push(`request failed: ${r.url()}: ${r.failure()?.errorText}`));
  page.on("response", (r) => {
    if (r.status() >= 400 && !expected(r.status(), r.url())) {
      problems.push(`${r.status()} for ${r.url()}`);
    }
    if (!r.url().startsWith(origin)) {
      problems.push(`a request to another origin: ${r.url()}`);
    }
  });
  return problems;
}

// What the page shows: text of the parts the checks read, and every canvas with its size.
export function snapshot(page) {
  return page.evaluate(() => {
    const text = (sel) => document.querySelector(sel)?.textContent.trim() ?? null;
    const chart = (id) => {
      const el = document.getElementById(id);
      const canvas = el.querySelector("canvas");
      return {
        empty: el.classList.contains("is-empty"),
        message: el.querySelector(".chart-empty")?.textContent ?? "",
        width: canvas ? canvas.width : 0,
        height: canvas ? canvas.height : 0,
        legend: el.querySelector(".chart-legend")?.textContent ?? "",
      };
    };
    const rows = (id) => [...document.querySelectorAll(`#${id} tbody tr`)].map((tr) =>
      [...tr.cells].map((td) => td.innerText.trim().replace(/\s*\n\s*/g, " / ")));
    const signIn = document.getElementById("sign-in");
    return {
      title: text("h1"),
      htmlLang: document.documentElement.lang,
      overdueLabel: text("#kpi-overdue .kpi-label"),
      status: text("#status-text"),
      alerts: [...document.querySelectorAll("#alerts li")].map((li) => ({
        server: li.dataset.server, text: li.textContent.trim(), level: li.className })),
      alertsShown: !document.querySelector("#alerts")?.hidden,
      kpis: [...document.querySelectorAll(".kpi .kpi-value")].map((el) => el.textContent.trim()),
      mainShown: document.querySelector("main").offsetParent !== null,
      signIn: signIn && !signIn.hidden ? {
        state: signIn.dataset.state,
        title: text("#sign-in-title"),
        message: text("#sign-in-message"),
        detail: text("#sign-in-detail"),
        inputType: document.getElementById("sign-in-token").type,
      } : null,
      signOutShown: Boolean(document.getElementById("sign-out") &&
        !document.getElementById("sign-out").hidden),
      channels: rows("channels-table"),
      sources: rows("sources-table"),
      turnaround: rows("tat-table"),
      overdue: rows("overdue-table"),
      overdueShown: !document.getElementById("overdue-table").hidden,
      tatMessage: text("#tat-message"),
      charts: {
        rates: chart("rates-chart"),
        waiting: chart("waiting-chart"),
        today: chart("trend-today"),
        week: chart("trend-week"),
      },
    };
  });
}

export async function waitFor(page, what, condition) {
  const deadline = Date.now() + TIMEOUT_MS;
  let last;
  while (Date.now() < deadline) {
    last = await snapshot(page);
    if (condition(last)) {
      return last;
    }
    await page.waitForTimeout(250);
  }
  const shown = JSON.stringify(last).slice(0, 4000);
  throw new Failure(`${what}: not within ${TIMEOUT_MS / 1000} s; the page shows ${shown}`);
}

// Reloads the page. A reload aborts the requests the page still has in flight (a trend still
// loading): those failures are the reload's, not the page's, and are taken off `problems`.
export async function reload(page, problems) {
  const before = problems.length;
  await page.reload({ waitUntil: "load" });
  const added = problems.splice(before);
  problems.push(...added.filter((p) => !(p.startsWith("request failed: ") &&
    p.endsWith("net::ERR_ABORTED"))));
}

export async function screenshot(page, file) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  await page.screenshot({ path: file, fullPage: true });
  console.log(`screenshot: ${file}`);
}

// Runs `test(browser, args)` with Chromium started, and exits with its status: 0 passed,
// 1 failed, 2 usage, 77 Chromium or playwright-core missing.
export function run(usage, argCount, test) {
  const main = async () => {
    const args = process.argv.slice(2);
    if (args.length < argCount || args.slice(0, argCount).some((a) => !a)) {
      console.log(`usage: ${usage}`);
      return 2;
    }
    if (!fs.existsSync(CHROMIUM)) {
      console.log(`skipped: ${CHROMIUM} is not installed (Debian package chromium)`);
      return 77;
    }
    const { chromium } = await loadPlaywright();
    const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true });
    try {
      return await test(browser, args);
    } finally {
      await browser.close();
    }
  };
  main().then(
    (code) => process.exit(code),
    (e) => {
      console.log(e instanceof Failure ? `FAILED: ${e.message}` : `FAILED: ${e.stack ?? e}`);
      process.exit(1);
    },
  );
}
