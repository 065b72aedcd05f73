import type { BackendAttempt, ClientBackend } from "./backends";

/** Messages between the page and the inference worker (structured clone; big arrays are transferred). */

export interface TensorData {
  data: Float32Array;
  shape: number[];
}

export interface ModelInfo {
  name: string;
  /** Download size of its files, from the manifest. */
  bytes: number;
  /** sha256 of its model.json: which version of the model is running. */
  sha256: string;
  /** Training config from the manifest (for instance the DAE's downsampling). */
  config: Record<string, unknown>;
}

export interface TileSpec {
  tile: number;
  margin: number;
  multiple: number;
}

export type WorkerRequest =
  | {
      type: "init";
      id: number;
      backends: ClientBackend[];
      modelsBase: string;
      models: string[];
      /** Input shape for one warm-up run per model (free dimensions filled in). */
      warmup: Record<string, number[]>;
      wasmPrefix: string;
    }
  | { type: "predict"; id: number; model: string; input: TensorData }
  | {
      type: "tiled";
      id: number;
      model: string;
      image: { data: Uint8ClampedArray; width: number; height: number; channels: number };
      tiles: TileSpec;
    }
  | { type: "cancel"; id: number };

export type WorkerReply =
  | {
      type: "ready";
      id: number;
      /** Null when no backend in the list could load and run the models. */
      backend: ClientBackend | null;
      attempts: BackendAttempt[];
      models: ModelInfo[];
      downloadMs: number;
      warmupMs: number;
      error?: string;
    }
  /** Every output of the model, in order (one for most models; the VAE encoder has z_mean and z_log_var). */
  | { type: "result"; id: number; outputs: TensorData[]; ms: number }
  | { type: "tiled-result"; id: number; image: { data: Uint8ClampedArray; width: number; height: number; channels: number }; ms: number }
  | { type: "progress"; id: number; done: number; total: number }
  | { type: "error"; id: number; message: string; cancelled?: boolean };
