import { readFileSync, statSync } from "node:fs";
import path from "node:path";

/**
 * What Next's output tracing lists for a route handler (.next/server/app/<route>/route.js.nft.json): the files a
 * serverless deployment ships with that function. Used by bundle.spec.ts.
 */

export function traceManifest(route: string): string {
  return `.next/server/app/${route}/route.js.nft.json`;
}

/** The trace list exactly as Next wrote it: paths relative to the manifest, none dropped, none checked on disk. */
export function rawTraceList(manifest: string): string[] {
  return (JSON.parse(readFileSync(manifest, "utf8")) as { files: string[] }).files;
}

/** The listed paths that are files on this disk (absolute), and their total size. */
export function tracedFiles(manifest: string): { files: string[]; bytes: number } {
  const listed = rawTraceList(manifest).map((f) => path.resolve(path.dirname(manifest), f));
  const files = listed.filter((f) => statSync(f, { throwIfNoEntry: false })?.isFile());
  return { files, bytes: files.reduce((sum, f) => sum + statSync(f).size, 0) };
}

/**
 * Entries of a raw trace list that belong to tfjs-node (or tfjs-node-gpu): its package, its JavaScript, its native
 * binding or libtensorflow, whether or not they are files on this disk. A check of existing files alone misses them:
 * Next lists each external package a route imports (serverExternalPackages) as `.next/node_modules/<name>-<hash>`, a
 * symlink to the package's folder, not a file; and here the optional tfjs-node packages are not installed at all.
 */
export function tfjsNodeEntries(rawList: string[]): string[] {
  return rawList.filter((entry) => /tfjs-node|tfjs_binding\.node|libtensorflow/.test(entry));
}
