import * as Comlink from "comlink";
import { ModelWorker } from "./model-worker";

/** Entry point of the inference worker: `new Worker(new URL("./inference.worker.ts", import.meta.url), { type: "module" })`. */
Comlink.expose(new ModelWorker());
