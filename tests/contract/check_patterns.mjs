// Every `pattern` of schemas/openapi.json compiles as the Unicode regular expression JSON Schema
// 2020-12 means (the `u` flag), in place of Spectral's oas3-schema check (see spectral.yaml).
import { readFileSync } from "node:fs";

const document = JSON.parse(readFileSync(process.argv[2] ?? "schemas/openapi.json", "utf8"));
const broken = [];
let checked = 0;
(function walk(node, path) {
  if (Array.isArray(node)) {
    node.forEach((item, index) => walk(item, `${path}[${index}]`));
  } else if (node && typeof node === "object") {
    for (const [key, value] of Object.entries(node)) {
      if (key === "pattern" && typeof value === "string") {
        checked += 1;
        try {
          new RegExp(value, "u");
        } catch (error) {
          broken.push(`${path}.pattern: ${error.message.slice(0, 120)}`);
        }
      } else {
        walk(value, `${path}.${key}`);
      }
    }
  }
})(document, "$");
if (broken.length) {
  console.error(broken.join("\n"));
  process.exit(1);
}
console.log(`${checked} patterns compile as Unicode regular expressions`);
