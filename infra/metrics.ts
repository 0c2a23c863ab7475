/**
 * The Prometheus text exposition format 0.0.4, written by hand: the system needs a few counters, gauges and one
 * histogram, most of them read from the database at scrape time, and the format is a page of rules
 * (https://prometheus.io/docs/instrumenting/exposition_formats/). A client library would add a dependency, a global
 * registry and its own collection model for what fits in this file.
 */
export const EXPOSITION_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export type MetricType = 'counter' | 'gauge' | 'histogram';
export type Labels = Readonly<Record<string, string>>;

export interface Sample {
  /** Appended to the family's name: `_bucket`, `_sum`, `_count` of a histogram. */
  readonly suffix?: string;
  readonly labels?: Labels;
  readonly value: number;
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

const escapeHelp = (text: string) => text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
const escapeLabel = (text: string) => text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

function formatLabels(labels: Labels | undefined): string {
  const entries = Object.entries(labels ?? {});
  if (entries.length === 0) return '';
  for (const [name] of entries) if (!LABEL_NAME.test(name)) throw new Error(`invalid label name ${name}`);
  return `{${entries.map(([name, value]) => `${name}="${escapeLabel(value)}"`).join(',')}}`;
}

/** One scrape's text: each family once, with its HELP and TYPE before its samples. */
export class Exposition {
  private readonly parts: string[] = [];
  private readonly names = new Set<string>();

  family(name: string, type: MetricType, help: string, samples: readonly Sample[]): this {
    if (!METRIC_NAME.test(name)) throw new Error(`invalid metric name ${name}`);
    // A repeated family is rejected by Prometheus as a whole scrape, so it is a bug here, not a line to skip.
    if (this.names.has(name)) throw new Error(`metric ${name} written twice`);
    this.names.add(name);
    this.parts.push(`# HELP ${name} ${escapeHelp(help)}\n# TYPE ${name} ${type}\n`);
    for (const sample of samples) {
      this.parts.push(`${name}${sample.suffix ?? ''}${formatLabels(sample.labels)} ${formatValue(sample.value)}\n`);
    }
    return this;
  }

  /** Text from another exporter (the Temporal worker's), already in this format. */
  raw(text: string): this {
    if (text.length > 0) this.parts.push(text.endsWith('\n') ? text : `${text}\n`);
    return this;
  }

  text(): string {
    return this.parts.join('');
  }
}

/** Counters by label set; the label sets must stay few (route templates, never raw paths). */
export class CounterVec {
  private readonly values = new Map<string, { labels: Labels; value: number }>();

  inc(labels: Labels, by = 1): void {
    const key = JSON.stringify(labels);
    const entry = this.values.get(key) ?? { labels, value: 0 };
    entry.value += by;
    this.values.set(key, entry);
  }

  samples(): Sample[] {
    return [...this.values.values()].map(({ labels, value }) => ({ labels, value }));
  }
}

/** A histogram by label set with fixed upper bounds (seconds), cumulative as the format wants. */
export class HistogramVec {
  private readonly series = new Map<string, { labels: Labels; counts: number[]; sum: number; count: number }>();

  constructor(private readonly bounds: readonly number[]) {}

  observe(labels: Labels, value: number): void {
    const key = JSON.stringify(labels);
    let entry = this.series.get(key);
    if (!entry) {
      entry = { labels, counts: this.bounds.map(() => 0), sum: 0, count: 0 };
      this.series.set(key, entry);
    }
    for (let index = 0; index < this.bounds.length; index++) if (value <= (this.bounds[index] as number)) entry.counts[index]! += 1;
    entry.sum += value;
    entry.count += 1;
  }

  samples(): Sample[] {
    const samples: Sample[] = [];
    for (const { labels, counts, sum, count } of this.series.values()) {
      this.bounds.forEach((bound, index) => samples.push({ suffix: '_bucket', labels: { ...labels, le: formatValue(bound) }, value: counts[index] as number }));
      samples.push({ suffix: '_bucket', labels: { ...labels, le: '+Inf' }, value: count });
      samples.push({ suffix: '_sum', labels, value: sum });
      samples.push({ suffix: '_count', labels, value: count });
    }
    return samples;
  }
}
