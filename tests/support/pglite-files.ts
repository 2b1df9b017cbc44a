/**
 * What a PGlite data directory says about how it was left, read from its pg_control file the
 * way pg_controldata does (the installed pg_controldata may be of another major version than
 * PGlite's PostgreSQL, so the few fields needed are read directly; their offsets have not moved
 * since PostgreSQL 9).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

/** PostgreSQL's DBState enum (src/include/catalog/pg_control.h). */
const states = ['starting up', 'shut down', 'shut down in recovery', 'shutting down', 'in crash recovery', 'in archive recovery', 'in production'] as const;
export type ClusterState = (typeof states)[number];

export interface ControlFile {
  state: ClusterState;
  /** Where the last checkpoint record is. */
  checkpoint: bigint;
  /** Where replay would start after a crash; equal to `checkpoint` after a clean shutdown. */
  redo: bigint;
}

export function readControlFile(pgDataDir: string): ControlFile {
  const bytes = readFileSync(path.join(pgDataDir, 'global', 'pg_control'));
  // uint64 system_identifier, uint32 pg_control_version, uint32 catalog_version_no, DBState state,
  // (pad) pg_time_t time @24, XLogRecPtr checkPoint @32, CheckPoint checkPointCopy @40 (redo first).
  const state = states[bytes.readUInt32LE(16)];
  if (!state) throw new Error(`pg_control: unknown cluster state ${bytes.readUInt32LE(16)}`);
  return { state, checkpoint: bytes.readBigUInt64LE(32), redo: bytes.readBigUInt64LE(40) };
}
