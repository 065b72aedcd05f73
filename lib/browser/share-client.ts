import { shareApiUrl } from "../share-urls";

/**
 * The page's side of sharing: POST /api/share and DELETE /api/share/<id>. A refusal throws an Error with the
 * server's own message (its JSON `{ error }`), which says what went wrong and, for a 429, when to try again.
 */

export interface ShareRequestBody {
  noisy: string;
  denoised: string;
  noise: { kind: string; level: number };
  metrics?: Record<string, number | null>;
}

/** What POST /api/share answers (app/api/share/route.ts). */
export interface CreatedShareResponse {
  id: string;
  url: string;
  images: { noisy: string; denoised: string };
  expiresAt: string;
  deleteToken: string;
  deleteUrl: string;
}

async function refusal(response: Response): Promise<Error> {
  const body = (await response.json().catch(() => null)) as { error?: unknown } | null;
  return new Error(typeof body?.error === "string" ? body.error : `HTTP ${response.status}`);
}

export async function postShare(body: ShareRequestBody): Promise<CreatedShareResponse> {
  const response = await fetch("/api/share", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  if (!response.ok) throw await refusal(response);
  const created = (await response.json()) as Partial<CreatedShareResponse>;
  if (!created.url || !created.deleteUrl || !created.id || !created.deleteToken) throw new Error("the server's answer has no link");
  return created as CreatedShareResponse;
}

export async function deleteShare(id: string, deleteToken: string): Promise<void> {
  const response = await fetch(shareApiUrl(id), { method: "DELETE", headers: { Authorization: `Bearer ${deleteToken}` } });
  if (!response.ok) throw await refusal(response);
}
