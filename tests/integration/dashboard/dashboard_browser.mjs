// The browser half of e2e_dashboard: opens the dashboard of a running engine in headless
// Chromium (Debian's /usr/bin/chromium, driven by playwright-core) and checks what a person
// would see.
//
//   node dashboard_browser.mjs URL SCREENSHOT EXPECT_JSON
//
// URL is the admin server's /dashboard; EXPECT_JSON says what the engine was sent:
//   {"channel": NAME, "processed": N, "overdue": [PATIENT_ID, ...], "turnaround": true}
// Checks: the page loads with no console error and no page error, every request it makes is
// answered below 400 with the dashboard's Content-Security-Policy on the page; the channel
// table shows N processed for NAME; the rate chart, the waiting-time histogram and the trend
// charts are canvases of non-zero size with data; the turnaround table has rows, the overdue
// list the patients given, longest waiting first; the language switch turns the Vietnamese labels into English ones and back.
// Saves SCREENSHOT (Vietnamese) and SCREENSHOT with -en before .png (English).
// Exit status: 0 passed, 1 failed, 77 Chromium or playwright-core missing.

import fs from "node:fs";
import path from "node:path";

const CHROMIUM = "/usr/bin/chromium";
const TIMEOUT_MS = 30000;

class Failure extends Error {}

function check(condition, message) {
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

// Every problem the browser reports while the page runs.
function watch(page, origin) {
  const problems = [];
  page.on("console", (m) => {
    if (m.type() === "error") {
      problems.push(`console error: ${m.text()} (${m.location().url})`);
    }
  });
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("requestfailed", (r) => problems.push(`request failed: ${r.url()}: ${r.failure()?.errorText}`));
  page.on("response", (r) => {
    if (r.status() >= 400) {
      problems.push(`${r.status()} for ${r.url()}`);
    }
    if (!r.url().startsWith(origin)) {
      problems.push(`a request to another origin: ${r.url()}`);
    }
  });
  return problems;
}

// What the page shows: text of the parts the checks read, and every canvas with its size.
function snapshot(page) {
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
    return {
      title: text("h1"),
      htmlLang: document.documentElement.lang,
      overdueLabel: text("#kpi-overdue .kpi-label"),
      status: text("#status-text"),
      channels: rows("channels-table"),
      sources: rows("sources-table"),
      turnaround: rows("tat-table"),
      overdue: rows("overdue-table"),
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

async function waitFor(page, what, condition) {
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

function drawn(c) {
  return !c.empty && c.width > 0 && c.height > 0;
}

async function checkPage(page, url, expect) {
  const response = await page.goto(url, { waitUntil: "load" });
  check(response && response.status() === 200, `GET ${url}: ${response?.status()}`);
  check(response.url().endsWith("/dashboard/"), `not redirected to /dashboard/: ${response.url()}`);
  const csp = response.headers()["content-security-policy"] ?? "";
  check(csp.includes("default-src 'self'"), `Content-Security-Policy: ${csp}`);

  const channelRow = (s) => s.channels.find((r) => r[0] === expect.channel);
  // Numbers are written the Vietnamese way: 1.234
  const processed = (row) => row?.[1].replace(/[.,\s]/g, "");
  let s = await waitFor(page, `the channel ${expect.channel} with ${expect.processed} processed`,
    (x) => processed(channelRow(x)) === String(expect.processed));
  check(s.htmlLang === "vi" && s.title.includes("Bảng theo dõi"), `not Vietnamese at first: ${s.title}`);
  check(s.overdueLabel === "Quá hạn", `the overdue label in Vietnamese: ${s.overdueLabel}`);
  console.log(`channel ${expect.channel}: ${channelRow(s).join(" | ")}`);

  s = await waitFor(page, "the rate chart drawn (two polls)", (x) => drawn(x.charts.rates));
  check(s.charts.rates.legend.includes(expect.channel), `rate chart legend: ${s.charts.rates.legend}`);
  console.log(`rate chart: ${s.charts.rates.width}x${s.charts.rates.height}`);

  if (expect.turnaround) {
    s = await waitFor(page, "turnaround table, waiting histogram and trend charts",
      (x) => x.turnaround.length > 0 && drawn(x.charts.waiting) && drawn(x.charts.today) &&
        drawn(x.charts.week));
    console.log(`turnaround rows: ${s.turnaround.map((r) => `${r[0]} ${r[1]}: p90 ${r[5]}`).join("; ")}`);
    check(s.charts.waiting.legend.includes("Mục tiêu"), `waiting legend: ${s.charts.waiting.legend}`);
  }
  if (expect.overdue) {
    // The longest waiting first: the patients in the order expected.
    s = await waitFor(page, `overdue rows for ${expect.overdue.join(", ")}`,
      (x) => x.overdue.map((r) => r[0].split(" / ")[0]).join() === expect.overdue.join());
    console.log(`overdue: ${s.overdue.map((r) => r.join(" | ")).join("; ")}`);
  }
  return s;
}

async function checkLanguage(page) {
  await page.click("#lang-en");
  const en = await waitFor(page, "English after the switch",
    (x) => x.htmlLang === "en" && x.overdueLabel === "Overdue");
  check(en.title.includes("Integration dashboard"), `English title: ${en.title}`);
  check(en.status.startsWith("Live"), `English status: ${en.status}`);
  console.log(`language: "${en.overdueLabel}" after the switch to English`);
  return en;
}

async function main() {
  const [url, screenshot, expectText] = process.argv.slice(2);
  if (!url || !screenshot || !expectText) {
    console.log("usage: node dashboard_browser.mjs URL SCREENSHOT EXPECT_JSON");
    return 2;
  }
  if (!fs.existsSync(CHROMIUM)) {
    console.log(`skipped: ${CHROMIUM} is not installed (Debian package chromium)`);
    return 77;
  }
  const expect = JSON.parse(expectText);
  const { chromium } = await loadPlaywright();
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true });
  try {
    const context = await browser.newContext({
      viewport: { width: 1920, height: 1080 },
      timezoneId: expect.timezone ?? "Asia/Ho_Chi_Minh",
      locale: "vi-VN",
    });
    const page = await context.newPage();
    const problems = watch(page, new URL(url).origin);
    await checkPage(page, url, expect);
    fs.mkdirSync(path.dirname(screenshot), { recursive: true });
    await page.screenshot({ path: screenshot, fullPage: true });
    await checkLanguage(page);
    const english = screenshot.replace(/\.png$/, "-en.png");
    await page.screenshot({ path: english, fullPage: true });
    await page.reload({ waitUntil: "load" });
    await waitFor(page, "English kept after a reload", (x) => x.htmlLang === "en");
    await page.click("#lang-vi");
    await waitFor(page, "Vietnamese again", (x) => x.overdueLabel === "Quá hạn");
    check(problems.length === 0, `the browser reported:\n  ${problems.join("\n  ")}`);
    console.log(`screenshot: ${screenshot}`);
    console.log(`screenshot: ${english}`);
    return 0;
  } finally {
    await browser.close();
  }
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.log(e instanceof Failure ? `FAILED: ${e.message}` : `FAILED: ${e.stack ?? e}`);
    process.exit(1);
  },
);
