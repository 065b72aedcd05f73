// Loaded with `node --import`: makes the optional @tensorflow/tfjs-node packages unresolvable in this process, as on
// a machine where they are not installed (they cannot install here; elsewhere they may be).
import { register } from "node:module";

const hooks = `
export async function resolve(specifier, context, next) {
  if (/^@tensorflow\\/tfjs-node(-gpu)?(\\/|$)/.test(specifier)) {
    throw Object.assign(new Error("Cannot find package '" + specifier + "' (hidden by the test)"), { code: "ERR_MODULE_NOT_FOUND" });
  }
  return next(specifier, context);
}`;
register(`data:text/javascript,${encodeURIComponent(hooks)}`);
