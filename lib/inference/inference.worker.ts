import { startInferenceWorker } from "./worker-runtime";

/** Entry point of the inference worker: `new Worker(new URL("./inference.worker.ts", import.meta.url), { type: "module" })`. */
startInferenceWorker(self as unknown as Parameters<typeof startInferenceWorker>[0]);
