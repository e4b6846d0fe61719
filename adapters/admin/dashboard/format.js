// Numbers, durations and times as a person reads them on the wall, in the page's language.

import { language } from "./i18n.js";

const locales = { vi: "vi-VN", en: "en-GB" };

function locale() {
  return locales[language()] ?? "vi-VN";
}

// 1234 → "1.234" (vi) or "1,234" (en); null and undefined → "–".
export function number(value, fractionDigits = 0) {
  if (value === null || value === undefined || Number.isNaN(value)) {
    return "–";
  }
  return new Intl.NumberFormat(locale(), {
    maximumFractionDigits: fractionDigits,
    minimumFractionDigits: 0,
  }).format(value);
}

// A rate per minute: one decimal below 10, whole numbers above.
export function rate(value) {
  if (value === null || value === undefined) {
    return "–";
  }
  return number(value, value < 10 ? 1 : 0);
}

const units = {
  vi: { s: "giây", m: "phút", h: "giờ", d: "ngày" },
  en: { s: "s", m: "min", h: "h", d: "d" },
};

// Seconds as the two largest units: "45 giây", "12 phút", "2 giờ 05 phút", "3 ngày 4 giờ".
export function duration(seconds) {
  if (seconds === null || seconds === undefined || Number.isNaN(seconds)) {
    return "–";
  }
  const u = units[language()] ?? units.vi;
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) {
    return `${s} ${u.s}`;
  }
  const minutes = Math.round(s / 60);
  if (minutes < 60) {
    return `${minutes} ${u.m}`;
  }
  const hours = Math.floor(minutes / 60);
  if (hours < 48) {
    return `${hours} ${u.h} ${String(minutes % 60).padStart(2, "0")} ${u.m}`;
  }
  return `${Math.floor(hours / 24)} ${u.d} ${hours % 24} ${u.h}`;
}

// The same, shorter, for table cells: "12 phút", "2 giờ 05", "3 ngày 4 giờ".
export function durationShort(seconds) {
  if (seconds === null || seconds === undefined || Number.isNaN(seconds)) {
    return "–";
  }
  const u = units[language()] ?? units.vi;
  const minutes = Math.round(Math.max(0, seconds) / 60);
  if (seconds < 10) {
    // Delivery latency: "0,3 giây", and "< 0,1 giây" rather than a bare 0.
    const shown =
      seconds > 0 && seconds < 0.05 ? `< ${number(0.1, 1)}` : number(Math.max(0, seconds), 1);
    return `${shown} ${u.s}`;
  }
  if (seconds < 60) {
    return `${Math.round(seconds)} ${u.s}`;
  }
  if (minutes < 60) {
    return `${minutes} ${u.m}`;
  }
  const hours = Math.floor(minutes / 60);
  if (hours < 48) {
    return `${hours} ${u.h} ${String(minutes % 60).padStart(2, "0")}`;
  }
  return `${Math.floor(hours / 24)} ${u.d} ${hours % 24} ${u.h}`;
}

// The unit a chart of durations up to `maxSeconds` reads best in: seconds up to two minutes,
// hours past three, else minutes.
export function durationUnit(maxSeconds) {
  const u = units[language()] ?? units.vi;
  if (maxSeconds <= 120) {
    return { seconds: 1, label: u.s };
  }
  return maxSeconds > 3 * 3600 ? { seconds: 3600, label: u.h } : { seconds: 60, label: u.m };
}

// 08:05:09 from a Date, 24-hour in both languages.
export function clock(date) {
  return date.toLocaleTimeString(locale(), { hour12: false });
}

// "05/03": the label of a day on a chart's axis.
export function dayLabel(date) {
  return `${String(date.getDate()).padStart(2, "0")}/${String(date.getMonth() + 1).padStart(2, "0")}`;
}

export function hourLabel(date) {
  return `${String(date.getHours()).padStart(2, "0")}:00`;
}

// ISO 8601 with the browser's own offset: 2026-03-05T00:00:00+07:00. The API reads the offset,
// so "today" is the screen's local day.
export function isoLocal(date) {
  const pad = (n) => String(Math.abs(Math.trunc(n))).padStart(2, "0");
  const offset = -date.getTimezoneOffset();
  const sign = offset >= 0 ? "+" : "-";
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}` +
    `T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}` +
    `${sign}${pad(offset / 60)}:${pad(offset % 60)}`
  );
}

// Local midnight of the day `date` falls on, `days` days later (negative: earlier).
export function midnight(date, days = 0) {
  return new Date(date.getFullYear(), date.getMonth(), date.getDate() + days);
}
