// Bundle the npm libraries the field app uses into static/pwa/vendor/ as ES modules,
// so the browser loads them from our own server (no CDN) with plain `import`.
import { build } from "esbuild";
import { mkdirSync } from "node:fs";

// name → whether the package has a default export to pass on (idb and uuid export only
// named functions; signature_pad and jsqr export a default).
const entries = {
  idb: false,
  uuid: false,
  signature_pad: true,
  jsqr: true,
};

mkdirSync("vendor", { recursive: true });
for (const [name, hasDefault] of Object.entries(entries)) {
  const contents = hasDefault
    ? `export * from "${name}"; import d from "${name}"; export default d;`
    : `export * from "${name}";`;
  await build({
    stdin: { contents, resolveDir: ".", loader: "js" },
    bundle: true,
    format: "esm",
    minify: true,
    target: ["es2020"],
    outfile: `vendor/${name}.js`,
    logLevel: "warning",
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
