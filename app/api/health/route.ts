import { REQUIRED_MODELS } from "@/lib/manifest";
import { getModelStorage } from "@/lib/storage";
import { getServerModel, serverBackend, serverLoad } from "@/lib/inference/server-model";

/**
 * GET /api/health: whether this process can serve inference now. It loads the models the routes use (once per
 * process, so the first call also warms the server up) and answers
 *   200 `{ ready: true, backend, models: { name: { "path": sha256, ... } }, uptimeSeconds, queue, storage }`
 *   503 `{ ready: false, error, ... }` when the backend or a model cannot load (missing files, a sha256 mismatch).
 * The sha256s are the manifest's, checked against the bytes when the model was loaded: the deployed versions.
 */

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export async function GET(): Promise<Response> {
  const { uptimeSeconds, waiting, running } = serverLoad();
  const common = { uptimeSeconds, queue: { waiting, running }, storage: getModelStorage().describe() };
  const headers = { "Cache-Control": "no-store" };
  try {
    const backend = await serverBackend();
    const models: Record<string, Record<string, string>> = {};
    for (const name of Object.keys(REQUIRED_MODELS)) {
      const { entry } = await getServerModel(name);
      models[name] = Object.fromEntries(entry.files.map((f) => [f.path, f.sha256]));
    }
    return Response.json({ ready: true, backend, models, ...common }, { headers });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return Response.json({ ready: false, error: `not ready: ${message}`, ...common }, { status: 503, headers });
  }
}
