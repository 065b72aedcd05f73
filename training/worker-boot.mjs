// The entry of a training worker thread (training/data-parallel.ts): Node starts worker threads without the main
// thread's TypeScript loader, so this registers tsx in the worker's thread and then imports the real entry.
import { workerData } from "node:worker_threads";
import { register } from "tsx/esm/api";

register();
await import(workerData.entry);
