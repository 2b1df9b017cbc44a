/**
 * Line-quality statistics for one site: a summary over the meeting and a per-bucket timeline.
 * Percentiles use linear interpolation between closest ranks (R type 7, numpy's default), so
 * a median of [1, 2] is 1.5. Every statistic sorts its values first, which keeps the result
 * independent of sample order.
 */
import type { QualitySample } from './connections.ts';

export interface MetricSummary {
  median: number;
  p95: number;
}

export interface QualitySummary {
  samples: number;
  lossPercent: MetricSummary;
  rttMs: MetricSummary;
  bitrateKbps: MetricSummary;
  jitterMs: MetricSummary;
}

/** One bucket of the timeline; buckets without samples are not listed. */
export interface QualityBucket {
  /** Start of the bucket, counted in whole buckets from the meeting's official start. */
  from: Date;
  samples: number;
  medianLossPercent: number;
  /** The worst loss in the bucket: a one-second burst of loss is what people hear. */
  maxLossPercent: number;
  medianRttMs: number;
  medianBitrateKbps: number;
  medianJitterMs: number;
}

export function percentile(values: readonly number[], fraction: number): number {
  if (values.length === 0) throw new RangeError('percentile of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (sorted.length - 1) * fraction;
  const lower = Math.floor(rank);
  const upper = Math.min(lower + 1, sorted.length - 1);
  const lowerValue = sorted[lower]!;
  const upperValue = sorted[upper]!;
  return lowerValue + (rank - lower) * (upperValue - lowerValue);
}

function summariseMetric(values: readonly number[]): MetricSummary {
  return { median: percentile(values, 0.5), p95: percentile(values, 0.95) };
}

export function summariseQuality(samples: readonly QualitySample[]): QualitySummary | null {
  if (samples.length === 0) return null;
  return {
    samples: samples.length,
    lossPercent: summariseMetric(samples.map((s) => s.lossPercent)),
    rttMs: summariseMetric(samples.map((s) => s.rttMs)),
    bitrateKbps: summariseMetric(samples.map((s) => s.bitrateKbps)),
    jitterMs: summariseMetric(samples.map((s) => s.jitterMs)),
  };
}

export function qualityTimeline(samples: readonly QualitySample[], origin: number, bucketMs: number): QualityBucket[] {
  const byBucket = new Map<number, QualitySample[]>();
  for (const sample of samples) {
    const index = Math.floor((sample.at - origin) / bucketMs);
    const bucket = byBucket.get(index);
    if (bucket === undefined) byBucket.set(index, [sample]);
    else bucket.push(sample);
  }
  return [...byBucket.entries()]
    .sort(([a], [b]) => a - b)
    .map(([index, bucket]) => ({
      from: new Date(origin + index * bucketMs),
      samples: bucket.length,
      medianLossPercent: percentile(
        bucket.map((s) => s.lossPercent),
        0.5,
      ),
      maxLossPercent: Math.max(...bucket.map((s) => s.lossPercent)),
      medianRttMs: percentile(
        bucket.map((s) => s.rttMs),
        0.5,
      ),
      medianBitrateKbps: percentile(
        bucket.map((s) => s.bitrateKbps),
        0.5,
      ),
      medianJitterMs: percentile(
        bucket.map((s) => s.jitterMs),
        0.5,
      ),
    }));
}
