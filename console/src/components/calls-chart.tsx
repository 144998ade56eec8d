import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { CALL_TYPES, type CallType, type Resolution } from "../api/types";
import type { ChartData } from "../lib/statistics";

const COLOURS: Record<CallType, string> = {
  GRAPHQL: "#3b6fe0",
  JSON: "#2a9d8f",
  XML: "#e9a23b",
  FUNCTION: "#8e5bd6",
};
const ERROR_COLOUR = "#d62839";

/**
 * Calls over time as bars stacked by type, with errors as a red line on top. uPlot has no stacking
 * of its own: each type's bar is drawn from zero to the running total, the tallest first, so the
 * lower ones paint over it; the legend shows each type's own count.
 */
export function CallsChart(props: { data: ChartData; resolution: Resolution; title: string }) {
  const host = useRef<HTMLDivElement>(null);
  const { data } = props;
  const types = CALL_TYPES.filter((type) => data.calls[type]);

  useEffect(() => {
    const element = host.current;
    if (!element) return;
    const totals: number[][] = [];
    let running = data.x.map(() => 0);
    for (const type of types) {
      running = running.map((value, index) => value + (data.calls[type]?.[index] ?? 0));
      totals.push(running);
    }
    const order = types.map((_, index) => index).reverse();
    const halfStep = data.x.length > 1 ? (data.x[1] - data.x[0]) / 2000 : 1800;
    const bars = uPlot.paths.bars?.({ size: [0.8, 48] });
    const options: uPlot.Options = {
      width: Math.max(element.clientWidth, 280),
      height: 280,
      title: undefined,
      scales: {
        // Half a bucket of room on each side, so the first and last bars are whole.
        x: { time: true, range: (_u, min, max) => [min - halfStep, max + halfStep] },
        y: { range: (_u, _min, max) => [0, Math.max(1, max)] },
      },
      axes: [{}, { label: "Calls", size: 60 }],
      series: [
        {
          label: "Time",
          value: (_u, value) => (value === null ? "—" : new Date(value * 1000).toLocaleString()),
        },
        ...order.map((position) => {
          const type = types[position];
          return {
            label: type,
            fill: COLOURS[type],
            stroke: COLOURS[type],
            width: 0,
            paths: bars,
            points: { show: false },
            value: (_u: uPlot, _value: number | null, _series: number, index: number | null) =>
              index === null ? "—" : String(data.calls[type]?.[index] ?? 0),
          } satisfies uPlot.Series;
        }),
        {
          label: "Errors",
          stroke: ERROR_COLOUR,
          width: 2,
          points: { show: true, size: 6, fill: ERROR_COLOUR },
        },
      ],
    };
    const chart = new uPlot(
      options,
      [data.x.map((ms) => ms / 1000), ...order.map((position) => totals[position]), data.errors],
      element,
    );
    const resize = new ResizeObserver(() =>
      chart.setSize({ width: Math.max(element.clientWidth, 280), height: 280 }),
    );
    resize.observe(element);
    return () => {
      resize.disconnect();
      chart.destroy();
    };
  }, [data, types.join()]);

  return (
    <figure class="chart" aria-label={props.title}>
      <div
        ref={host}
        class="chart-canvas"
        data-testid="calls-chart"
        data-chart={JSON.stringify({
          x: data.x.map((ms) => new Date(ms).toISOString()),
          calls: data.calls,
          errors: data.errors,
        })}
      />
      <figcaption class="hint">
        {props.title}. Bars: calls per {props.resolution.toLowerCase()} stacked by type; red line: errors. The
        table below lists the same figures.
      </figcaption>
    </figure>
  );
}
