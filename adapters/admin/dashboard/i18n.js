// The dashboard's words in Vietnamese (the default) and English. Static text in index.html names
// its key in data-i18n (text) or data-i18n-title (tooltip); the rest is rendered through t().

const STRINGS = {
  vi: {
    title: "hisbridge · Bảng theo dõi tích hợp",
    live: "Trực tiếp",
    updated: "Cập nhật lúc {time}",
    disconnected: "Mất kết nối với máy chủ từ {time}",
    never_connected: "Chưa kết nối được với máy chủ",
    language: "Ngôn ngữ",
    kpi_rate: "Tin nhận / phút",
    kpi_received: "Tin đã nhận",
    kpi_errors: "Lỗi",
    kpi_queue: "Đang chờ xử lý",
    kpi_overdue: "Quá hạn",
    since_start: "từ khi khởi động",
    cert_expiring: "Chứng chỉ TLS của {server} hết hạn sau {days} ngày ({date}): hãy gia hạn rồi nạp lại cấu hình",
    cert_expired: "Chứng chỉ TLS của {server} đã hết hạn ngày {date}: máy đối tác sẽ từ chối kết nối",
    per_minute_errors: "{n} lỗi / phút",
    channels: "Kênh và nguồn tin",
    channel: "Kênh",
    source: "Nguồn",
    processed: "Đã xử lý",
    failed: "Lỗi",
    rate: "Tin / phút",
    error_rate: "Lỗi / phút",
    queue: "Hàng đợi",
    received: "Đã nhận",
    rejected: "Từ chối",
    duplicates: "Trùng",
    destinations: "Đích",
    rates_chart: "Tốc độ tin nhắn (tin / phút)",
    errors_series: "Lỗi (tất cả)",
    rates_wait: "Đang đo tốc độ: cần hai lần cập nhật",
    overdue: "Quá hạn",
    overdue_none: "Không có chỉ định nào quá hạn",
    overdue_more: "và {n} mục khác",
    patient: "Bệnh nhân",
    order: "Chỉ định / lượt khám",
    department: "Khoa",
    priority: "Ưu tiên",
    interval: "Khoảng thời gian",
    service: "Dịch vụ",
    age: "Đã chờ",
    target: "Mục tiêu",
    tat: "Thời gian trả kết quả (TAT) so với mục tiêu",
    today: "Hôm nay",
    last7: "7 ngày qua",
    count: "Số ca",
    breaches: "Vượt mục tiêu",
    tat_trend_today: "Hôm nay theo giờ",
    tat_trend_week: "7 ngày qua theo ngày",
    trend_for: "Diễn biến",
    auto_rotate: "Tự động luân phiên",
    waiting: "Thời gian chờ của bệnh nhân hôm nay",
    waiting_axis: "Thời gian chờ (phút)",
    patients: "Số bệnh nhân",
    no_data: "Chưa có dữ liệu",
    not_available: "Máy chủ chưa cung cấp số liệu này",
    load_failed: "Không tải được số liệu: {error}",
    priority_S: "Cấp cứu",
    priority_R: "Thường quy",
    priority_any: "Tất cả",
    minutes: "phút",
    interval_lab_order_to_final: "XN: chỉ định → kết quả",
    interval_lab_receipt_to_final: "XN: nhận mẫu → kết quả",
    interval_lab_collect_to_receipt: "XN: lấy mẫu → nhận mẫu",
    interval_rad_order_to_report: "CĐHA: chỉ định → kết luận",
    interval_rad_exam_to_report: "CĐHA: thực hiện → kết luận",
    interval_patient_wait_to_service: "Thời gian chờ của bệnh nhân",
    interval_delivery_latency: "Chuyển dữ liệu vào HIS",
    sign_in_title: "Đăng nhập",
    sign_in_required: "Bảng theo dõi này cần mã truy cập. Hãy nhập mã do quản trị viên cấp.",
    sign_in_rejected: "Mã truy cập không đúng hoặc không còn hiệu lực.",
    sign_in_checking: "Đang kiểm tra mã truy cập…",
    sign_in_signed_out: "Đã đăng xuất. Nhập mã truy cập để xem lại bảng theo dõi.",
    sign_in_needed: "Cần đăng nhập",
    sign_in_note: "Mã được lưu trên trình duyệt này cho đến khi đăng xuất.",
    token_label: "Mã truy cập",
    sign_in: "Đăng nhập",
    sign_out: "Đăng xuất",
  },
  en: {
    title: "hisbridge · Integration dashboard",
    live: "Live",
    updated: "Updated at {time}",
    disconnected: "No connection to the server since {time}",
    never_connected: "Cannot reach the server",
    language: "Language",
    kpi_rate: "Messages / min",
    kpi_received: "Messages received",
    kpi_errors: "Errors",
    kpi_queue: "Waiting to process",
    kpi_overdue: "Overdue",
    since_start: "since start",
    cert_expiring: "The TLS certificate of {server} expires in {days} days ({date}): renew it, then reload the config",
    cert_expired: "The TLS certificate of {server} expired on {date}: peers that check it refuse the connection",
    per_minute_errors: "{n} errors / min",
    channels: "Channels and sources",
    channel: "Channel",
    source: "Source",
    processed: "Processed",
    failed: "Failed",
    rate: "Msgs / min",
    error_rate: "Errors / min",
    queue: "Queue",
    received: "Received",
    rejected: "Rejected",
    duplicates: "Duplicates",
    destinations: "Destinations",
    rates_chart: "Message rate (messages / min)",
    errors_series: "Errors (all)",
    rates_wait: "Measuring the rate: needs two updates",
    overdue: "Overdue",
    overdue_none: "Nothing is overdue",
    overdue_more: "and {n} more",
    patient: "Patient",
    order: "Order / visit",
    department: "Department",
    priority: "Priority",
    interval: "Interval",
    service: "Service",
    age: "Waiting",
    target: "Target",
    tat: "Turnaround time (TAT) against target",
    today: "Today",
    last7: "Last 7 days",
    count: "Count",
    breaches: "Over target",
    tat_trend_today: "Today by hour",
    tat_trend_week: "Last 7 days by day",
    trend_for: "Trend",
    auto_rotate: "Rotate automatically",
    waiting: "Patient waiting time today",
    waiting_axis: "Waiting time (min)",
    patients: "Patients",
    no_data: "No data yet",
    not_available: "The server does not provide these figures yet",
    load_failed: "Could not load the figures: {error}",
    priority_S: "Stat",
    priority_R: "Routine",
    priority_any: "All",
    minutes: "min",
    interval_lab_order_to_final: "Lab: order → final result",
    interval_lab_receipt_to_final: "Lab: receipt → final result",
    interval_lab_collect_to_receipt: "Lab: collection → receipt",
    interval_rad_order_to_report: "Imaging: order → final report",
    interval_rad_exam_to_report: "Imaging: exam → final report",
    interval_patient_wait_to_service: "Patient waiting time",
    interval_delivery_latency: "Delivery into the HIS",
    sign_in_title: "Sign in",
    sign_in_required: "This dashboard needs an access token. Enter the one you were given.",
    sign_in_rejected: "The access token was not accepted: it is wrong or no longer valid.",
    sign_in_checking: "Checking the access token…",
    sign_in_signed_out: "Signed out. Enter an access token to see the dashboard again.",
    sign_in_needed: "Sign-in required",
    sign_in_note: "The token is kept in this browser until you sign out.",
    token_label: "Access token",
    sign_in: "Sign in",
    sign_out: "Sign out",
  },
};

export const LANGUAGES = ["vi", "en"];
const STORAGE_KEY = "hisbridge.dashboard.language";

let current = "vi";

// ?lang=en in the address wins (for a screen set up once), then the last choice on this
// browser, then Vietnamese.
export function initialLanguage() {
  const asked = new URLSearchParams(window.location.search).get("lang");
  if (LANGUAGES.includes(asked)) {
    return asked;
  }
  try {
    const stored = window.localStorage.getItem(STORAGE_KEY);
    if (LANGUAGES.includes(stored)) {
      return stored;
    }
  } catch {
    // Storage can be disabled by policy; the default serves.
  }
  return "vi";
}

export function language() {
  return current;
}

export function setLanguage(lang, remember) {
  current = LANGUAGES.includes(lang) ? lang : "vi";
  document.documentElement.lang = current;
  if (remember) {
    try {
      window.localStorage.setItem(STORAGE_KEY, current);
    } catch {
      // Not remembered across reloads; the switch still works.
    }
  }
  for (const el of document.querySelectorAll("[data-i18n]")) {
    el.textContent = t(el.dataset.i18n);
  }
  for (const el of document.querySelectorAll("[data-i18n-title]")) {
    el.title = t(el.dataset.i18nTitle);
  }
  document.title = t("title");
}

// The text for `key` with {name} placeholders filled from `params`; the key itself when it is
// unknown, so a missing string shows instead of vanishing.
export function t(key, params = {}) {
  const text = STRINGS[current][key] ?? STRINGS.vi[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (all, name) => (name in params ? String(params[name]) : all));
}

// An interval's label, or its configured name when the dashboard has no words for it.
export function intervalLabel(name) {
  const key = "interval_" + name;
  const text = t(key);
  return text === key ? name : text;
}

export function priorityLabel(priority) {
  if (priority === "S" || priority === "R") {
    return t("priority_" + priority);
  }
  return priority ? priority : t("priority_any");
}
