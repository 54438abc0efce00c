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

// The app itself, bundled: a cold start offline then reads one module (plus the QR
// decoder's chunk when a scan needs it) instead of ~30, which on a slow phone is most of
// the start time. server/pwa.py serves the bundle only while it is newer than every
// source file, so an edited js/ is never shadowed by a stale bundle.
await build({
  entryPoints: ["js/app.js"],
  bundle: true,
  splitting: true,
  format: "esm",
  minify: true,
  target: ["es2020"],
  outdir: "dist",
  chunkNames: "chunk-[hash]",
  logLevel: "warning",
});
console.log("app bundle written: dist/app.js");
