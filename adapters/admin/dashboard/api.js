// Reads the admin API (same origin, relative to /dashboard/ so a reverse proxy's prefix is
// kept). A call never throws: every failure comes back as a value the page can show, so a
// missing endpoint or a dropped connection is a state on the screen, not a console error.
//
// When the engine has admin.tokens, every call carries the token the person signed in with as
// `Authorization: Bearer`, never in the address: it would end up in the server's and proxies'
// logs and in the browser's history.

const TIMEOUT_MS = 10000;
const TOKEN_KEY = "hisbridge.admin_token";

// The token this page signed in with (null once signed out); undefined until then, when the
// browser's storage has the one of an earlier visit. It serves alone when the storage is
// unavailable (disabled by policy, a private window that refuses it).
let current;
// Counts sign-ins and sign-outs: an answer to a request sent before the last one is dropped,
// never taken for an answer to the token held now.
let session = 0;
// True from a 401 or a sign-out until a token is entered: calls are answered as 401 at once
// instead of asking the engine again, so a part still loading stops there.
let locked = false;
let unauthorizedHandler = () => {};
let answeredHandler = () => {};

export function token() {
  if (current !== undefined) {
    return current;
  }
  try {
    return window.localStorage.getItem(TOKEN_KEY) || null;
  } catch {
    return null;  // storage disabled: nothing from an earlier visit
  }
}

export function hasToken() {
  return Boolean(token());
}

// Keeps `value` for the next calls (and the next visits, when the browser lets us store it).
export function setToken(value) {
  current = value;
  session += 1;
  locked = false;
  try {
    window.localStorage.setItem(TOKEN_KEY, value);
  } catch {
    // Kept in the page only: signing in again is needed after a reload.
  }
}

export function clearToken() {
  current = null;
  session += 1;
  locked = true;
  try {
    window.localStorage.removeItem(TOKEN_KEY);
  } catch {
    // Nothing was stored.
  }
}

// `handler({ tokenSent, error })` runs on every 401 answered to the token held now: no token
// (the engine asks for one) or one the engine does not know (wrong, or removed from its config).
export function onUnauthorized(handler) {
  unauthorizedHandler = handler;
}

// `handler()` runs on every other HTTP answer to the token held now (even a 404 or a 503): the
// engine took the token.
export function onAnswered(handler) {
  answeredHandler = handler;
}

// Tells the page what an answer says about the token it was sent with.
function report(status, sent, error) {
  if (status === 401) {
    locked = true;
    unauthorizedHandler({ tokenSent: Boolean(sent), error });
  } else {
    answeredHandler();
  }
}

function requestHeaders(sent) {
  const headers = { Accept: "application/json" };
  if (sent) {
    headers.Authorization = "Bearer " + sent;
  }
  return headers;
}

// { ok: true, data } or { ok: false, status, error, unavailable, unauthorized }. `unavailable`
// is true for 404 and 503: an engine without that part (an older version, no timeline
// running), which the page shows as "not available" rather than as a failure. `unauthorized`
// is true for 401, and for an answer to a token given up since it was sent: the page asks for
// a token instead of showing a failure.
export async function getJson(path, params = {}) {
  const signedOut = { ok: false, status: 401, error: "", unavailable: false, unauthorized: true };
  if (locked) {
    return signedOut;
  }
  const query = new URLSearchParams(params).toString();
  const url = "../" + path + (query ? "?" + query : "");
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), TIMEOUT_MS);
  const sent = token();
  const sentIn = session;
  try {
    const response = await fetch(url, {
      cache: "no-store",
      headers: requestHeaders(sent),
      signal: controller.signal,
    });
    const body = await response.json().catch(() => null);
    if (sentIn !== session) {
      return signedOut;  // an answer to a token given up since: not for the page any more
    }
    const error = body && typeof body.error === "string" ? body.error : response.statusText;
    report(response.status, sent, error);
    if (!response.ok) {
      const unavailable = response.status === 404 || response.status === 503;
      const unauthorized = response.status === 401;
      return { ok: false, status: response.status, error, unavailable, unauthorized };
    }
    if (body === null) {
      return { ok: false, status: response.status, error: "not JSON", unavailable: false };
    }
    return { ok: true, status: response.status, data: body };
  } catch (e) {
    const error = e && e.name === "AbortError" ? "timeout" : String(e && e.message ? e.message : e);
    return { ok: false, status: 0, error, unavailable: false };
  } finally {
    clearTimeout(timer);
  }
}

export function channels() {
  return getJson("api/v1/channels");
}

// The configured intervals; the list may come bare or as {"intervals": [...]}.
export async function intervals() {
  const r = await getJson("api/v1/turnaround/intervals");
  if (r.ok) {
    const list = Array.isArray(r.data) ? r.data : r.data.intervals;
    return Array.isArray(list) ? { ok: true, data: list } : { ok: false, error: "no list" };
  }
  return r;
}

export function turnaround(interval, from, to) {
  return getJson("api/v1/turnaround", { interval, from, to, group_by: "priority" });
}

export function distribution(interval, from, to, bucketSeconds) {
  return getJson("api/v1/turnaround/distribution", { interval, from, to, bucket_s: bucketSeconds });
}

export function overdue() {
  return getJson("api/v1/overdue", { limit: 200 });
}
