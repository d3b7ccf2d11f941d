// Generates src/schema.ts, the TypeScript types of the API, from the
// OpenAPI document the server publishes (committed as docs/openapi.json at
// the repository root):
//
//	npm run generate            writes src/schema.ts
//	npm run generate -- FILE    writes FILE instead (the Go test's check)
//
// The output depends only on the spec and on the pinned openapi-typescript,
// so the check can regenerate and insist on no difference.
import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import openapiTS, { astToString, COMMENT_HEADER } from "openapi-typescript";

const spec = new URL("../../../docs/openapi.json", import.meta.url);
const out = process.argv[2] ? resolve(process.argv[2]) : fileURLToPath(new URL("../src/schema.ts", import.meta.url));

const ast = await openapiTS(spec, { silent: true });
writeFileSync(out, COMMENT_HEADER + astToString(ast));
