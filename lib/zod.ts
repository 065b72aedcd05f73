import { z } from "zod";

/**
 * zod for the shared code (lib/*.ts), whose schemas the pages and the inference worker build too: import `z` from
 * here, not from "zod". zod probes whether it may compile fast parsers with `new Function` as soon as an object
 * schema is built, at module load, and under the pages' Content-Security-Policy (no 'unsafe-eval':
 * lib/security-headers.ts) that probe is a violation. Switched off before any schema here is built, the probe never
 * runs; the interpreted parser is plenty for a manifest, a reference answer or an evaluation file.
 */
z.config({ jitless: true });

export { z };
