// Bundle the npm libraries the field app uses into static/pwa/vendor/ as ES modules,
// so the browser loads them from our own server (no CDN) with plain `import`.
import { build } from "esbuild";
import { mkdirSync } from "node:fs";

const entries = {
  idb: "idb",
  uuid: "uuid",
  "signature_pad": "signature_pad",
  jsqr: "jsqr",
};

mkdirSync("vendor", { recursive: true });
for (const [name, spec] of Object.entries(entries)) {
  await build({
    stdin: { contents: `export * from "${spec}"; import d from "${spec}"; export default d;`, resolveDir: ".", loader: "js" },
    bundle: true,
    format: "esm",
    minify: true,
    target: ["es2020"],
    outfile: `vendor/${name}.js`,
    logLevel: "warning",
  }).catch(async () => {
    // Packages without a default export: re-export the named ones only.
    await build({
      stdin: { contents: `export * from "${spec}";`, resolveDir: ".", loader: "js" },
      bundle: true, format: "esm", minify: true, target: ["es2020"],
      outfile: `vendor/${name}.js`, logLevel: "error",
    });
  });
}
console.log("vendor bundles written:", Object.keys(entries).join(", "));
