import { SERVED_MODELS } from "@/lib/catalogue";
import { errorMessage } from "@/lib/errors";
import { withoutLocalPaths } from "@/lib/server/http";
import { getServerModel, serverBackend, serverLoad } from "@/lib/server/models";
import { getModelStorage } from "@/lib/server/storage";
export * from "@/lib/server/other-methods";

/**
 * GET /api/health: whether this process can serve inference now. It loads the models the routes use (once per
 * process, so the first call also warms the server up) and answers
 *   200 `{ ready: true, backend, models: { name: { "path": sha256, ... } }, uptimeSeconds, queue, process, storage }`
 *   503 `{ ready: false, error, ... }` when the backend or a model cannot load (missing files, a sha256 mismatch).
 * The sha256s are the manifest's, checked against the bytes when the model was loaded: the deployed versions.
 * `process` (pid, resident memory, live tfjs tensors) is what the load test watches for leaks. Anyone can read this,
 * so it names no absolute path: `storage` and `error` say where files are relative to the server's folder, or by
 * their setting (`<MODELS_DIR>`).
 */

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

function loadFigures() {
  const { uptimeSeconds, waiting, running, pid, rssBytes, tensors } = serverLoad();
  return { uptimeSeconds, queue: { waiting, running }, process: { pid, rssBytes, tensors }, storage: withoutLocalPaths(getModelStorage().describe()) };
}

export async function GET(): Promise<Response> {
  const headers = { "Cache-Control": "no-store" };
  try {
    const backend = await serverBackend();
    const models: Record<string, Record<string, string>> = {};
    for (const { key } of SERVED_MODELS) {
      const { entry } = await getServerModel(key);
      models[key] = Object.fromEntries(entry.files.map((f) => [f.path, f.sha256]));
    }
    return Response.json({ ready: true, backend, models, ...loadFigures() }, { headers });
  } catch (error) {
    return Response.json({ ready: false, error: withoutLocalPaths(`not ready: ${errorMessage(error)}`), ...loadFigures() }, { status: 503, headers });
  }
}
