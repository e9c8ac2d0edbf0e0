import type { W1Data } from "./data.js";

/** What a W1 peer implementation reports (value and gradients read back to JS). */
export interface PeerResult {
  name: string;
  /** Median ms per evaluation, or null when the peer could not run (reason in `note`). */
  ms: number | null;
  value: number;
  gLogMu: Float32Array;
  gLogTheta: Float32Array;
  gLogLib: Float32Array;
  note: string;
}

/** A peer module: `bench/w1/peer-*.ts`. */
export interface PeerModule {
  runPeer(d: W1Data, opts: { runs: number }): Promise<PeerResult>;
}
