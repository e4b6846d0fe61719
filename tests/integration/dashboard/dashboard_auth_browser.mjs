// The browser half of e2e_dashboard_auth: the dashboard of an engine whose admin API asks for
// a token (admin.tokens with a viewer token), in headless Chromium.
//
//   node dashboard_auth_browser.mjs URL SCREENSHOT EXPECT_JSON
//
// EXPECT_JSON: {"channel": NAME, "processed": N, "overdue": ROWS, "hidden": [PATIENT_ID, ...],
//               "token": VIEWER_TOKEN, "wrong_token": TOKEN, "timezone": ZONE}
// Checks, as a person would go: the page comes up with the sign-in panel (a password input,
// no figures, the header saying a sign-in is needed), in both languages; a wrong token is
// refused in the panel and not kept; the right one fills the tiles and the tables, the overdue
// list shows "***" where the patient ids were (and none of HIDDEN anywhere on the page); a
// reload stays signed in; "sign out" brings the panel back, empties the figures and stops the
// polling. Every API request after the sign-in carries the token as a Bearer header; no token
// is ever in an address or a console message; the only answers of 400 and above are the 401s
// of /api/v1/ before the sign-in. Saves SCREENSHOT (the sign-in panel), SCREENSHOT with
// -rejected and -signed-in before .png.
// Exit status: 0 passed, 1 failed, 77 Chromium or playwright-core missing.

import { check, reload, run, screenshot, waitFor, watch } from "./browser_support.mjs";

const TOKEN_KEY = "hisbridge.admin_token";
const DASH = "–";
// Longer than the quickest poll (5 s): a page that still polls is seen doing it.
const QUIET_MS = 6000;

const stored = (page) => page.evaluate((key) => window.localStorage.getItem(key), TOKEN_KEY);
const processed = (s, channel) => s.channels.find((r) => r[0] === channel)?.[1]
  .replace(/[.,\s]/g, "");

// Everything the page asks the API, with the Authorization header it sent.
function recordRequests(page) {
  const requests = [];
  page.on("request", (r) => {
    if (new URL(r.url()).pathname.includes("/api/")) {
      requests.push({ url: r.url(), authorization: r.headers().authorization ?? null });
    }
  });
  return requests;
}

function checkEmpty(s, when) {
  check(!s.mainShown, `${when}: the figures are on the screen`);
  check(s.kpis.length === 5 && s.kpis.every((v) => v === DASH), `${when}: tiles ${s.kpis}`);
  check(s.channels.length === 0 && s.overdue.length === 0,
    `${when}: tables with rows: ${JSON.stringify([s.channels, s.overdue])}`);
}

async function signIn(page, token, how) {
  await page.fill("#sign-in-token", token);
  if (how === "enter") {
    await page.press("#sign-in-token", "Enter");
  } else {
    await page.click("#sign-in-submit");
  }
}

async function checkAskedForToken(page, url, file) {
  const response = await page.goto(url, { waitUntil: "load" });
  check(response && response.status() === 200, `GET ${url} without a token: ${response?.status()}`);
  const s = await waitFor(page, "the sign-in panel", (x) => x.signIn?.state === "required");
  checkEmpty(s, "before signing in");
  check(s.signIn.inputType === "password", `the token input is ${s.signIn.inputType}`);
  check(s.signIn.title === "Đăng nhập" && s.signIn.message.includes("mã truy cập"),
    `the panel in Vietnamese: ${JSON.stringify(s.signIn)}`);
  check(s.status === "Cần đăng nhập", `header: ${s.status}`);
  check(!s.signOutShown, "a sign-out button with no token stored");
  console.log(`sign-in panel: ${s.signIn.message}`);
  await screenshot(page, file);
  await page.click("#lang-en");
  const en = await waitFor(page, "the panel in English", (x) => x.signIn?.title === "Sign in");
  check(en.signIn.message.includes("access token") && en.status === "Sign-in required",
    `the panel in English: ${JSON.stringify(en.signIn)}, ${en.status}`);
  await page.click("#lang-vi");
  await waitFor(page, "the panel in Vietnamese again", (x) => x.signIn?.title === "Đăng nhập");
}

async function checkWrongToken(page, expect, requests, file) {
  await signIn(page, expect.wrong_token, "click");
  const s = await waitFor(page, "the wrong token refused",
    (x) => x.signIn?.state === "rejected");
  check(s.signIn.message.includes("không đúng"), `refusal: ${s.signIn.message}`);
  checkEmpty(s, "after a wrong token");
  check(await stored(page) === null, "the wrong token was kept");
  check(requests.some((r) => r.authorization === `Bearer ${expect.wrong_token}`),
    "the wrong token was never sent as a Bearer header");
  console.log(`wrong token: ${s.signIn.message} (${s.signIn.detail})`);
  await screenshot(page, file.replace(/\.png$/, "-rejected.png"));
}

async function checkSignedIn(page, expect, requests, problems, file) {
  const from = requests.length;
  await signIn(page, expect.token, "enter");
  const s = await waitFor(page, `figures after signing in: ${expect.channel} with ${
    expect.processed} processed and ${expect.overdue} overdue rows`,
  (x) => x.signIn === null && processed(x, expect.channel) === String(expect.processed) &&
      x.overdue.length === expect.overdue && x.kpis[4] === String(expect.overdue));
  check(s.mainShown && s.signOutShown, "figures or the sign-out button not shown");
  check(s.kpis[1] !== DASH, `received tile: ${s.kpis}`);
  const patients = s.overdue.map((r) => r[0].split(" / ")[0]);
  check(patients.every((p) => p === "***"), `overdue patients: ${patients}`);
  const text = await page.evaluate(() => document.body.innerText);
  const shown = expect.hidden.filter((id) => text.includes(id));
  check(shown.length === 0, `patient ids on the page of a viewer: ${shown}`);
  check(await stored(page) === expect.token, "the token was not kept in local storage");
  const sent = requests.slice(from);
  check(sent.length > 0 && sent.every((r) => r.authorization === `Bearer ${expect.token}`),
    `requests after signing in without the token: ${sent.filter((r) =>
      r.authorization !== `Bearer ${expect.token}`).map((r) => r.url)}`);
  console.log(`signed in: tiles ${s.kpis.join(" | ")}; overdue ${s.overdue.map((r) =>
    r.join(" | ")).join("; ")}`);
  await screenshot(page, file.replace(/\.png$/, "-signed-in.png"));
  await reload(page, problems);
  await waitFor(page, "still signed in after a reload", (x) => x.signIn === null &&
    x.overdue.length === expect.overdue && x.signOutShown);
}

async function checkSignedOut(page, requests) {
  await page.click("#sign-out");
  const s = await waitFor(page, "the panel after signing out",
    (x) => x.signIn?.state === "signed_out");
  checkEmpty(s, "after signing out");
  check(!s.signOutShown, "the sign-out button after signing out");
  check(await stored(page) === null, "the token is still stored after signing out");
  const from = requests.length;
  await page.waitForTimeout(QUIET_MS);
  check(requests.length === from, `still polling after signing out: ${
    requests.slice(from).map((r) => r.url)}`);
  console.log(`signed out: ${s.signIn.message}`);
}

run("node dashboard_auth_browser.mjs URL SCREENSHOT EXPECT_JSON", 3, async (browser, args) => {
  const [url, file, expectText] = args;
  const expect = JSON.parse(expectText);
  const context = await browser.newContext({
    viewport: { width: 1920, height: 1080 },
    timezoneId: expect.timezone ?? "Asia/Ho_Chi_Minh",
    locale: "vi-VN",
  });
  const page = await context.newPage();
  const problems = watch(page, new URL(url).origin,
    (status, at) => status === 401 && new URL(at).pathname.includes("/api/v1/"));
  const messages = [];
  page.on("console", (m) => messages.push(m.text()));
  const requests = recordRequests(page);
  await checkAskedForToken(page, url, file);
  await checkWrongToken(page, expect, requests, file);
  await checkSignedIn(page, expect, requests, problems, file);
  await checkSignedOut(page, requests);
  for (const token of [expect.token, expect.wrong_token]) {
    check(!requests.some((r) => r.url.includes(token)) && !page.url().includes(token),
      "a token in an address");
    check(!messages.some((m) => m.includes(token)), "a token in a console message");
  }
  check(problems.length === 0, `the browser reported:\n  ${problems.join("\n  ")}`);
  return 0;
});
