import { homedir, tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { errorResponse, isClientHangUp, jsonError, withoutLocalPaths } from "@/lib/server/http";

/** What clients read of the server's errors (lib/server/http.ts): no local paths, and a hang-up is one log line. */

afterEach(() => {
  delete process.env.MODELS_DIR;
  vi.restoreAllMocks();
});

describe("withoutLocalPaths", () => {
  it("takes out the working directory, MODELS_DIR and DATA_DIR, the temporary and home folders", () => {
    process.env.MODELS_DIR = path.join(tmpdir(), "models-x");
    expect(withoutLocalPaths(`local folder ${path.join(process.cwd(), "models")} (read-only)`)).toBe("local folder models (read-only)");
    expect(withoutLocalPaths(`open '${path.join(tmpdir(), "models-x", "manifest.json")}'`)).toBe("open '<MODELS_DIR>/manifest.json'");
    expect(withoutLocalPaths(`open '${path.join(tmpdir(), "other", "a.bin")}'`)).toBe("open '<tmp>/other/a.bin'");
    expect(withoutLocalPaths(`cache in ${path.join(homedir(), ".cache")}`)).toBe("cache in ~/.cache");
  });

  it("leaves URL paths and relative paths alone", () => {
    const text = "dae/model.json does not match its sha256; see /api/models/dae/model.json?v=1";
    expect(withoutLocalPaths(text)).toBe(text);
  });

  it("is applied to every JSON error", async () => {
    const response = jsonError(503, `cannot read ${path.join(process.cwd(), "models", "manifest.json")}`);
    expect(await response.json()).toEqual({ error: "cannot read models/manifest.json" });
  });
});

describe("a client that hangs up", () => {
  const aborted = Object.assign(new Error("aborted"), { code: "ECONNRESET" });

  it("is recognised by the body stream's error, an AbortError or the request's signal", () => {
    expect(isClientHangUp(aborted)).toBe(true);
    expect(isClientHangUp(new DOMException("gone", "AbortError"))).toBe(true);
    const controller = new AbortController();
    controller.abort();
    expect(isClientHangUp(new Error("anything"), new Request("http://x/", { signal: controller.signal }))).toBe(true);
    expect(isClientHangUp(new Error("a bug"))).toBe(false);
  });

  it("answers 499 and logs one line, no stack", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const error = vi.spyOn(console, "error").mockImplementation(() => {});
    const response = errorResponse(aborted, "POST /api/share", "Sharing failed");
    expect(response.status).toBe(499);
    expect(error).not.toHaveBeenCalled();
    expect(warn.mock.calls).toEqual([["POST /api/share: the client hung up (aborted)"]]);
  });
});
