import type { VideoStats } from '@vodkit/api';
import { html } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { formatDuration } from '../format.ts';
import { describeError } from './api.ts';
import { VideoPanel } from './video-panel.ts';
import { statsOf } from './video-stats.ts';

const RANGES = {
  day: { label: 'Last 24 hours', ms: 24 * 3600_000, granularity: 'hour' },
  week: { label: 'Last 7 days', ms: 7 * 24 * 3600_000, granularity: 'hour' },
  month: { label: 'Last 30 days', ms: 30 * 24 * 3600_000, granularity: 'day' },
} as const;
type RangeName = keyof typeof RANGES;

const AXIS = { stroke: '#8b949e', grid: { stroke: '#2a313c', width: 1 }, ticks: { stroke: '#2a313c' } };
const percent = (x: number) => `${(x * 100).toFixed(1)} %`;

/**
 * A video's viewer analytics from `GET /v1/videos/:id/stats`: the totals, views and watch time over
 * time, and the startup-time distribution, drawn with uPlot (canvas charts, each with a text
 * summary for screen readers).
 */
@customElement('studio-stats')
export class StudioStatsPanel extends VideoPanel {
  @state() private range: RangeName = 'day';
  @state() private stats: VideoStats | null | undefined = undefined;
  @state() private error = '';
  #plots: uPlot[] = [];
  #resize = new ResizeObserver(() => this.#fit());

  override connectedCallback(): void {
    super.connectedCallback();
    this.#resize.observe(this);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.#resize.disconnect();
    this.#destroy();
  }

  protected override loadKey(): string {
    return `${this.video.videoId}:${this.range}`;
  }

  /** Reads the figures (again, on "Refresh"). */
  protected async load(): Promise<void> {
    const range = RANGES[this.range];
    const to = new Date();
    try {
      this.stats = await statsOf(this.video.videoId, {
        from: new Date(to.getTime() - range.ms),
        to,
        granularity: range.granularity,
      });
      this.error = '';
    } catch (err) {
      this.error = describeError(err);
    }
  }

  protected override updated(): void {
    this.#draw();
  }

  #destroy(): void {
    for (const plot of this.#plots) plot.destroy();
    this.#plots = [];
  }

  #width(): number {
    return Math.max(240, (this.querySelector('.chart')?.clientWidth ?? 600) - 4);
  }

  #fit(): void {
    for (const plot of this.#plots) plot.setSize({ width: this.#width(), height: 180 });
  }

  #draw(): void {
    this.#destroy();
    const s = this.stats;
    if (!s) return;
    const xs = s.series.map((b) => Date.parse(b.start) / 1000);
    const width = this.#width();
    /** What every chart shares: the size, no legend (the figures above say it), no drag-zoom. */
    const base = { width, height: 180, legend: { show: false }, cursor: { drag: { x: false, y: false } } };
    const line = (
      label: string,
      color: string,
      values: number[],
      target: string,
      unit: (v: number) => string,
    ) => {
      const el = this.querySelector<HTMLElement>(target);
      if (!el) return;
      this.#plots.push(
        new uPlot(
          {
            ...base,
            axes: [AXIS, { ...AXIS, values: (_u, ticks) => ticks.map(unit) }],
            series: [{}, { label, stroke: color, fill: `${color}33`, width: 2 }],
          },
          [xs, values],
          el,
        ),
      );
    };
    line(
      'Views',
      '#4f8cff',
      s.series.map((b) => b.views),
      '#chart-views',
      (v) => String(v),
    );
    line(
      'Watch time',
      '#3fb950',
      s.series.map((b) => b.watchTimeS),
      '#chart-watch',
      (v) => formatDuration(v),
    );

    const hist = this.querySelector<HTMLElement>('#chart-startup');
    if (hist && s.startupHistogram.length) {
      const labels = s.startupHistogram.map((b, i) =>
        b.upToMs === null ? `≥ ${s.startupHistogram[i - 1]?.upToMs ?? 0} ms` : `< ${b.upToMs} ms`,
      );
      this.#plots.push(
        new uPlot(
          {
            ...base,
            scales: { x: { time: false } },
            axes: [{ ...AXIS, values: (_u, ticks) => ticks.map((t) => labels[t] ?? '') }, AXIS],
            series: [
              {},
              {
                label: 'Views',
                stroke: '#d29922',
                fill: '#d2992266',
                paths: uPlot.paths.bars!({ size: [0.8, 64] }),
                points: { show: false },
              },
            ],
          },
          [s.startupHistogram.map((_, i) => i), s.startupHistogram.map((b) => b.count)],
          hist,
        ),
      );
    }
  }

  override render() {
    const s = this.stats;
    return html`<section class="panel" aria-labelledby="stats-heading">
      <h2 id="stats-heading">Analytics</h2>
      <div class="inline">
        <label>Range
          <select @change=${(e: Event) => {
            this.range = (e.target as HTMLSelectElement).value as RangeName;
          }}>
            ${Object.entries(RANGES).map(
              ([name, r]) => html`<option value=${name} ?selected=${name === this.range}>${r.label}</option>`,
            )}
          </select>
        </label>
        <button type="button" class="secondary" @click=${() => this.load()}>Refresh</button>
      </div>
      <p class="error" role="alert">${this.error}</p>
      ${
        s === undefined
          ? html`<p class="muted">Loading…</p>`
          : s === null
            ? html`<p class="muted">This server has no analytics API.</p>`
            : html`
              <dl class="figures" data-testid="stats-figures">
                <div><dt>Views</dt><dd data-testid="stat-views">${s.views}</dd></div>
                <div><dt>Unique viewers</dt><dd>${s.uniqueViewers}</dd></div>
                <div><dt>Watch time</dt><dd data-testid="stat-watch">${formatDuration(s.watchTimeS)}</dd></div>
                <div><dt>Startup p50 / p95</dt><dd data-testid="stat-startup">${s.startupMs.p50 ?? '—'} / ${s.startupMs.p95 ?? '—'} ms</dd></div>
                <div><dt>Rebuffering</dt><dd>${percent(s.rebufferRatio)}</dd></div>
                <div><dt>Errors</dt><dd>${percent(s.errorRate)}</dd></div>
              </dl>
              <div class="charts">
                <figure>
                  <figcaption>Views over time</figcaption>
                  <div class="chart" id="chart-views" role="img"
                    aria-label=${`Views per ${s.granularity}: ${s.views} in all`}></div>
                </figure>
                <figure>
                  <figcaption>Watch time over time</figcaption>
                  <div class="chart" id="chart-watch" role="img"
                    aria-label=${`Watch time per ${s.granularity}: ${formatDuration(s.watchTimeS)} in all`}></div>
                </figure>
                <figure>
                  <figcaption>Startup time distribution</figcaption>
                  <div class="chart" id="chart-startup" role="img"
                    aria-label=${`Startup time: median ${s.startupMs.p50 ?? 'unknown'} ms, 95th percentile ${s.startupMs.p95 ?? 'unknown'} ms`}></div>
                </figure>
              </div>
            `
      }
    </section>`;
  }
}
