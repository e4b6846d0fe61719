// Reads the admin API (same origin, relative to /dashboard/ so a reverse proxy's prefix is
// kept). A call never throws: every failure comes back as a value the page can show, so a
// missing endpoint or a dropped connection is a state on the screen, not a console error.

const TIMEOUT_MS = 10000;

// { ok: true, data } or { ok: false, status, error, unavailable }. `unavailable` is true for
// 404 and 503: an engine without that part (an older version, no timeline running), which the
// page shows as "not available" rather than as a failure.
export async function getJson(path, params = {}) {
  const query = new URLSearchParams(params).toString();
  const url = "../" + path + (query ? "?" + query : "");
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), TIMEOUT_MS);
  try {
    const response = await fetch(url, {
      cache: "no-store",
      headers: { Accept: "application/json" },
      signal: controller.signal,
    });
    const body = await response.json().catch(() => null);
    if (!response.ok) {
      const error = body && typeof body.error === "string" ? body.error : response.statusText;
      const unavailable = response.status === 404 || response.status === 503;
      return { ok: false, status: response.status, error, unavailable };
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
