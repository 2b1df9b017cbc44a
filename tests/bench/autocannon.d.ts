/** The part of autocannon's API the load client uses (the package ships no types). */
declare module 'autocannon' {
  interface Histogram {
    p50: number;
    p99: number;
    max: number;
    average: number;
    total: number;
  }
  interface Result {
    latency: Histogram;
    requests: Histogram;
    throughput: Histogram;
    errors: number;
    timeouts: number;
    non2xx: number;
  }
  function autocannon(options: { url: string; connections: number; duration: number; timeout?: number; headers?: Record<string, string> }): Promise<Result>;
  export default autocannon;
}
