import { createHash } from "node:crypto";

/** node:crypto's SHA-256 as hex: an independent check of what lib/sha256 and the storages compute. */
export const nodeSha256 = (data: Uint8Array | string) => createHash("sha256").update(data).digest("hex");
