/**
 * Errors for bad input data, and the CLI wrapper that turns them into one readable line.
 *
 * A DataError is the user's problem (wrong file, truncated download, wrong format), so the CLI shows its
 * message and nothing else; any other error is a bug or an environment problem and gets exit code 2.
 */

import { readFileSync } from "node:fs";
import { errorMessage } from "../../lib/errors";

export interface DataErrorDetails {
  /** The file or folder at fault, as the user named it. */
  file: string;
  /** The part of the file at fault, when it has parts: an array inside an .npz, a field of a .json header. */
  part?: string;
  /** What the loader needed, e.g. "IDX magic 0x00000803". */
  expected: string;
  /** What it found instead, e.g. "0x1f8b0800". */
  found: string;
}

export class DataError extends Error {
  readonly file: string;
  readonly part: string | undefined;
  readonly expected: string;
  readonly found: string;

  constructor(details: DataErrorDetails, options?: ErrorOptions) {
    const where = details.part === undefined ? details.file : `${details.file}: ${details.part}`;
    super(oneLine(`${where}: expected ${details.expected}, found ${details.found}`), options);
    this.name = "DataError";
    this.file = details.file;
    this.part = details.part;
    this.expected = details.expected;
    this.found = details.found;
  }
}

/** Exit codes of runDataCommand: 1 for bad input data, 2 for anything else (bugs, bad usage, environment). */
export const EXIT_DATA_ERROR = 1;
export const EXIT_OTHER_ERROR = 2;

/**
 * Runs a CLI entry point. A DataError prints exactly one line, `error: <message>`, to stderr and exits 1;
 * any other error prints one line and exits 2, plus its stack trace when the DEBUG environment variable is set.
 */
export async function runDataCommand(main: () => Promise<void> | void): Promise<void> {
  try {
    await main();
  } catch (error) {
    const isDataError = error instanceof DataError;
    process.stderr.write(`error: ${oneLine(errorMessage(error))}\n`);
    if (!isDataError && process.env.DEBUG && error instanceof Error && error.stack) {
      process.stderr.write(`${error.stack}\n`);
    }
    // Exit now rather than setting exitCode: open handles (tfjs, sharp's thread pool) could keep a failed run alive.
    process.exit(isDataError ? EXIT_DATA_ERROR : EXIT_OTHER_ERROR);
  }
}

/**
 * Reads a whole file as bytes, turning "not found", "is a folder" and "no permission" into a DataError.
 * `expected` says what the file should have been, e.g. "a NumPy .npz archive".
 */
export function readDataFile(file: string, expected: string): Uint8Array {
  let buffer: Buffer;
  try {
    buffer = readFileSync(file);
  } catch (error) {
    throw new DataError({ file, expected, found: describeFsError(error) }, { cause: error });
  }
  // A plain view, not the Buffer itself: Buffer.slice shares memory where Uint8Array.slice copies, and callers
  // should get the standard semantics. No bytes are copied here.
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

/** Names a file-system failure in words, e.g. "no such file" for ENOENT. */
export function describeFsError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case "ENOENT":
      return "no such file or folder";
    case "EISDIR":
      return "a folder";
    case "ENOTDIR":
      return "a path through something that is not a folder";
    case "EACCES":
    case "EPERM":
      return "a file this user may not read";
    default:
      return errorMessage(error);
  }
}

/** Collapses line breaks so that a message from a library (zlib, sharp) stays on one line. */
function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, "; ").trim();
}
