// Types for worker-location.mjs (plain JavaScript so that setup can run it before anything is built).
export function patchLevel(version: string): string;
export function cacheRoot(env?: Record<string, string | undefined>): string;
export function workerCacheDir(root: string, version: string): string;
export function mediasoupPackageDir(): string;
export function mediasoupPackage(): { version: string; repository?: { url?: string } | string };
