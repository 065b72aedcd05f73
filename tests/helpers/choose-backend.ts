/**
 * Prints, as one JSON line, which training backend selectBackend activates (the one named in argv[2], or the
 * automatic choice), or why it cannot. Run by tests/unit/training/backend-choice.test.ts in a controlled
 * environment: see without-tfjs-node.mjs.
 */
import { errorMessage } from "../../lib/errors";
import { type BackendName, describeBackend, selectBackend } from "../../training/backend";

const requested = process.argv[2] as BackendName | undefined;
try {
  const name = await selectBackend(requested);
  console.log(JSON.stringify({ name, description: describeBackend(name) }));
} catch (error) {
  console.log(JSON.stringify({ error: errorMessage(error) }));
}
