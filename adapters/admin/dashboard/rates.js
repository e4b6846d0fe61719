// Message rates from successive /api/v1/channels answers: the API gives counters since the
// engine's start, the page keeps them with the time it read them and divides the differences.

// Rates are taken over at least this long (or over what has been read so far): a 5 s poll
// alone would make a few messages look like a burst.
const WINDOW_S = 60;

function counted(value) {
  return typeof value === "number" ? value : null;
}

// A counter that went down means the engine restarted and counted from zero again.
function increase(before, after) {
  if (before === null || after === null) {
    return null;
  }
  return after >= before ? after - before : after;
}

export class RateHistory {
  constructor(keepSeconds) {
    this.keepSeconds = keepSeconds;
    this.samples = [];
  }

  // `t` in seconds; `data` is an /api/v1/channels answer.
  add(t, data) {
    const sample = { t, channels: new Map(), sources: new Map() };
    for (const c of data.channels ?? []) {
      const processed = counted(c.counters?.processed);
      const failed = counted(c.counters?.failed);
      sample.channels.set(c.name, {
        count: processed === null || failed === null ? null : processed + failed,
        errors: failed,
      });
    }
    for (const s of data.sources ?? []) {
      const rejected = counted(s.rejected);
      sample.sources.set(s.name, {
        count: counted(s.received),
        errors: rejected === null ? null : rejected + (counted(s.store_failures) ?? 0),
      });
    }
    this.samples.push(sample);
    while (this.samples.length > 2 && t - this.samples[0].t > this.keepSeconds) {
      this.samples.shift();
    }
  }

  // The sample to measure sample `index` against: the latest one at least WINDOW_S older, or
  // the first one.
  base(index) {
    const t = this.samples[index].t;
    for (let i = index - 1; i >= 0; --i) {
      if (t - this.samples[i].t >= WINDOW_S) {
        return this.samples[i];
      }
    }
    return this.samples[0];
  }

  // Map name → {rate, errorRate} per minute at sample `index` for "channels" or "sources".
  ratesAt(index, kind) {
    const rates = new Map();
    const last = this.samples[index];
    const first = this.base(index);
    const minutes = (last.t - first.t) / 60;
    if (minutes <= 0) {
      return rates;
    }
    for (const [name, now] of last[kind]) {
      const then = first[kind].get(name);
      if (!then) {
        continue;
      }
      const count = increase(then.count, now.count);
      const errors = increase(then.errors, now.errors);
      rates.set(name, {
        rate: count === null ? null : count / minutes,
        errorRate: errors === null ? null : errors / minutes,
      });
    }
    return rates;
  }

  current(kind) {
    return this.samples.length < 2 ? new Map() : this.ratesAt(this.samples.length - 1, kind);
  }

  // The sum of `field` over `rates`; null before there is anything to add.
  total(rates, field) {
    let sum = null;
    for (const r of rates.values()) {
      if (r[field] !== null && r[field] !== undefined) {
        sum = (sum ?? 0) + r[field];
      }
    }
    return sum;
  }

  // The chart's data: for every sample after the first, each channel's rate and all errors
  // (failed in channels, rejected at sources) per minute.
  series() {
    const out = { times: [], channels: [], values: [], errors: [] };
    if (this.samples.length < 2) {
      return out;
    }
    out.channels = [...this.samples[this.samples.length - 1].channels.keys()];
    out.values = out.channels.map(() => []);
    for (let i = 1; i < this.samples.length; ++i) {
      const channels = this.ratesAt(i, "channels");
      const sources = this.ratesAt(i, "sources");
      out.times.push(this.samples[i].t);
      out.channels.forEach((name, k) => out.values[k].push(channels.get(name)?.rate ?? null));
      const errors = (this.total(channels, "errorRate") ?? 0) + (this.total(sources, "errorRate") ?? 0);
      out.errors.push(errors);
    }
    return out;
  }
}
