// The browser half of e2e_dashboard: opens the dashboard of a running engine in headless
// Chromium (Debian's /usr/bin/chromium, driven by playwright-core) and checks what a person
// would see.
//
//   node dashboard_browser.mjs URL SCREENSHOT EXPECT_JSON
//
// URL is the admin server's /dashboard; EXPECT_JSON says what the engine was sent:
//   {"channel": NAME, "processed": N, "overdue": [PATIENT_ID, ...], "turnaround": true,
//    "certificate": {"server", "days_left", "date"}}
// Checks: the page loads with no console error and no page error, every request it makes is
// answered below 400 with the dashboard's Content-Security-Policy on the page; the channel
// table shows N processed for NAME; the rate chart, the waiting-time histogram and the trend
// charts are canvases of non-zero size with data; the turnaround table has rows, the overdue
// list the patients given, longest waiting first; the certificate given is warned about, in
// Vietnamese and in English, and nothing else is; no sign-in panel or sign-out button (the
// engine has no admin.tokens); the language switch turns the Vietnamese labels into English
// ones and back.
// Saves SCREENSHOT (Vietnamese) and SCREENSHOT with -en before .png (English).
// Exit status: 0 passed, 1 failed, 77 Chromium or playwright-core missing.

import { check, reload, run, screenshot, waitFor, watch } from "./browser_support.mjs";

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
  if (expect.certificate) {
    // A TLS listener whose certificate ends within the warning days: one line above the page.
    const c = expect.certificate;
    s = await waitFor(page, `the certificate warning for ${c.server}`,
      (x) => x.alertsShown && x.alerts.some((a) => a.server === c.server));
    const alert = s.alerts.find((a) => a.server === c.server);
    check(alert.level === "alert-warn", `certificate alert level: ${alert.level}`);
    check(alert.text.includes(`hết hạn sau ${c.days_left} ngày`) && alert.text.includes(c.date),
      `certificate alert in Vietnamese: ${alert.text}`);
    check(s.alerts.length === 1, `alerts: ${JSON.stringify(s.alerts)}`);
    console.log(`alert: ${alert.text}`);
  }
  if (expect.overdue) {
    // The longest waiting first: the patients in the order expected.
    s = await waitFor(page, `overdue rows for ${expect.overdue.join(", ")}`,
      (x) => x.overdue.map((r) => r[0].split(" / ")[0]).join() === expect.overdue.join());
    console.log(`overdue: ${s.overdue.map((r) => r.join(" | ")).join("; ")}`);
  }
  return s;
}

async function checkLanguage(page, expect) {
  await page.click("#lang-en");
  const en = await waitFor(page, "English after the switch",
    (x) => x.htmlLang === "en" && x.overdueLabel === "Overdue");
  check(en.title.includes("Integration dashboard"), `English title: ${en.title}`);
  check(en.status.startsWith("Live"), `English status: ${en.status}`);
  if (expect.certificate) {
    const alert = en.alerts.find((a) => a.server === expect.certificate.server);
    check(alert?.text.startsWith(`The TLS certificate of ${expect.certificate.server} expires in`),
      `certificate alert in English: ${alert?.text}`);
  }
  console.log(`language: "${en.overdueLabel}" after the switch to English`);
  return en;
}

run("node dashboard_browser.mjs URL SCREENSHOT EXPECT_JSON", 3, async (browser, args) => {
  const [url, file, expectText] = args;
  const expect = JSON.parse(expectText);
  const context = await browser.newContext({
    viewport: { width: 1920, height: 1080 },
    timezoneId: expect.timezone ?? "Asia/Ho_Chi_Minh",
    locale: "vi-VN",
  });
  const page = await context.newPage();
  const problems = watch(page, new URL(url).origin);
  const s = await checkPage(page, url, expect);
  // An engine without admin.tokens: the page never asks for one.
  check(s.signIn === null && !s.signOutShown, `sign-in shown with no token configured: ${
    JSON.stringify(s.signIn)}`);
  await screenshot(page, file);
  await checkLanguage(page, expect);
  await screenshot(page, file.replace(/\.png$/, "-en.png"));
  await reload(page, problems);
  await waitFor(page, "English kept after a reload", (x) => x.htmlLang === "en");
  await page.click("#lang-vi");
  await waitFor(page, "Vietnamese again", (x) => x.overdueLabel === "Quá hạn");
  check(problems.length === 0, `the browser reported:\n  ${problems.join("\n  ")}`);
  return 0;
});
