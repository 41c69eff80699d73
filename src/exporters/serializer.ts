/**
 * The Prometheus text exposition format (version 0.0.4), written by hand for the hot metric
 * families: a pure writer with no registry, so rendering 10,000 series is string appends.
 * Escaping follows the format: label values escape \, " and newline; HELP escapes \ and newline.
 */
export type MetricType = 'counter' | 'gauge' | 'histogram';

export function escapeLabelValue(v: string): string {
  return /[\\"\n]/.test(v) ? v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n') : v;
}

export function escapeHelp(h: string): string {
  return h.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

/** `name="value"` with the value escaped. */
export function label(name: string, value: string): string {
  return `${name}="${escapeLabelValue(value)}"`;
}

export class ExpositionWriter {
  private out = '';

  /** Starts a metric family: HELP and TYPE lines, from its description or from the three parts. */
  family(d: { name: string; type: MetricType; help: string }): void;
  family(name: string, type: MetricType, help: string): void;
  family(
    d: string | { name: string; type: MetricType; help: string },
    type?: MetricType,
    help?: string,
  ): void {
    const [n, t, h] = typeof d === 'string' ? [d, type!, help!] : [d.name, d.type, d.help];
    this.out += `# HELP ${n} ${escapeHelp(h)}\n# TYPE ${n} ${t}\n`;
  }

  /** One sample; `labels` is pre-rendered (`a="x",b="y"`) or empty. */
  sample(name: string, labels: string, value: number): void {
    this.out +=
      labels === '' ? `${name} ${formatValue(value)}\n` : `${name}{${labels}} ${formatValue(value)}\n`;
  }

  text(): string {
    return this.out;
  }
}
