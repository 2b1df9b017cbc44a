/**
 * The dashboard's bar chart of attendance rates: per province for the whole country, per
 * commune (lowest first) for one province. Data comes from /api/reports/attendance with the
 * page's own filters; chart.js is bundled here by esbuild (no CDN: CSP is script-src 'self').
 */
import { BarController, BarElement, CategoryScale, Chart, LinearScale, Tooltip } from 'chart.js';
import type { AttendanceDashboard } from '../../../api/attendance/dashboard.ts';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Tooltip);

const canvas = document.querySelector<HTMLCanvasElement>('#rate-chart');
if (canvas) void draw(canvas);

/** Below this rate a bar is red, below the next amber: the same cut-offs leaders use on paper. */
const POOR_RATE = 0.5;
const FAIR_RATE = 0.8;
const MAX_BARS = 80;

async function draw(canvas: HTMLCanvasElement): Promise<void> {
  const response = await fetch(`/api/reports/attendance?${canvas.dataset.query ?? ''}`, {
    headers: { accept: 'application/json' },
    credentials: 'same-origin',
  });
  if (!response.ok) return;
  const data = (await response.json()) as AttendanceDashboard;
  const vietnamese = canvas.dataset.lang !== 'en';
  const rows =
    canvas.dataset.by === 'commune'
      ? data.communes.slice(0, MAX_BARS).map((c) => ({ label: c.siteName, rate: c.attendanceRate }))
      : data.provinces.map((p) => ({ label: p.name, rate: p.attendanceRate ?? 0 }));
  const box = canvas.parentElement!;
  // Horizontal bars: long Vietnamese names stay readable; the box grows with the bar count.
  box.style.height = `${Math.max(220, rows.length * 22 + 60)}px`;
  const percent = (v: number) => (vietnamese ? `${Math.round(v * 100)} %` : `${Math.round(v * 100)}%`);
  new Chart(canvas, {
    type: 'bar',
    data: {
      labels: rows.map((r) => r.label),
      datasets: [
        {
          label: canvas.dataset.label ?? '',
          data: rows.map((r) => r.rate),
          backgroundColor: rows.map((r) => (r.rate < POOR_RATE ? '#b3121b' : r.rate < FAIR_RATE ? '#d98c00' : '#1d7a3a')),
          borderRadius: 3,
        },
      ],
    },
    options: {
      indexAxis: 'y',
      maintainAspectRatio: false,
      animation: false,
      scales: {
        x: { min: 0, max: 1, ticks: { callback: (v) => percent(Number(v)) } },
        y: { ticks: { autoSkip: false, font: { size: 12 } } },
      },
      plugins: {
        legend: { display: false },
        tooltip: { callbacks: { label: (item) => `${canvas.dataset.label ?? ''}: ${percent(Number(item.raw))}` } },
      },
    },
  });
}
