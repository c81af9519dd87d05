// Build-time only: compiles the council-branded GOV.UK Frontend CSS and copies
// the vendored JS, images and licence into ../static/vendor/govuk/.
//
// Re-run with:  cd frontend && npm ci && npm run build
//
// The output is committed; Django serves it as ordinary static files, so
// neither Node nor npm is needed at run time.

import { createRequire } from "node:module";
import { copyFile, cp, mkdir, readFile, readdir, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import * as sass from "sass";

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

const govukPkgDir = dirname(require.resolve("govuk-frontend/package.json"));
const govukDist = join(govukPkgDir, "dist", "govuk");
const govukVersion = JSON.parse(await readFile(join(govukPkgDir, "package.json"), "utf8")).version;

const outDir = resolve(here, "..", "static", "vendor", "govuk");
const assetsOut = join(outDir, "assets");
// Must match $govuk-assets-path in src/council.scss.
const assetsUrl = "/static/vendor/govuk/assets/";

const MAX_CSS_BYTES = 200 * 1024;

function fail(message) {
  console.error(`build: ERROR: ${message}`);
  process.exitCode = 1;
  throw new Error(message);
}

// --- clean -----------------------------------------------------------------
// Only the files this script produces are removed; the folder is ours alone.
await rm(outDir, { recursive: true, force: true });
await mkdir(assetsOut, { recursive: true });

// --- CSS -------------------------------------------------------------------
const result = sass.compile(join(here, "src", "council.scss"), {
  style: "compressed",
  sourceMap: false,
  loadPaths: [join(here, "node_modules")],
  // govuk-frontend 5.x is written with @import and legacy Sass functions;
  // silence the deprecation noise coming from the dependency, not from us.
  quietDeps: true,
  silenceDeprecations: ["import", "global-builtin", "slash-div", "if-function"].filter(
    (id) => id in sass.deprecations,
  ),
});
const banner = `/*! council.min.css: GOV.UK Frontend ${govukVersion} (MIT, see LICENSE.txt) with council branding; built by frontend/build.mjs */\n`;
const css = banner + result.css + "\n";
await writeFile(join(outDir, "council.min.css"), css);

// --- JS --------------------------------------------------------------------
// The minified bundle is an ES module. Its trailing sourceMappingURL comment is
// dropped because the .map is not vendored (a dangling map reference makes
// browsers 404 and can upset manifest static-file storages).
let js = await readFile(join(govukDist, "govuk-frontend.min.js"), "utf8");
js = js.replace(/\/\/# sourceMappingURL=\S+\s*$/, "").trimEnd() + "\n";
await writeFile(join(outDir, "govuk-frontend.min.js"), js);

// Small external initialiser so templates need no inline module script (CSP-friendly).
await copyFile(join(here, "src", "govuk-init.js"), join(outDir, "govuk-init.js"));

// --- assets (images + manifest) ----------------------------------------------
// Skipped: fonts/ (GDS Transport is GOV.UK-only; we use a system font stack) and
// rebrand/ (only used with the GOV.UK `govuk-template--rebranded` class, which
// must not be used on this site).
await cp(join(govukDist, "assets"), assetsOut, {
  recursive: true,
  filter: (src) => {
    const rel = relative(join(govukDist, "assets"), src).split("\\").join("/");
    const top = rel.split("/")[0];
    return !(top === "fonts" || top === "rebrand" || rel.endsWith(".map"));
  },
});

// --- licence ---------------------------------------------------------------
// govuk-frontend is MIT-licensed, but its npm tarball does not ship the licence
// file; use the package's own copy if a release ever includes one, otherwise the
// upstream LICENSE.txt kept in frontend/licenses/.
{
  const candidates = ["LICENSE.txt", "LICENSE", "LICENCE.txt", "LICENCE", "LICENSE.md"].map((n) => join(govukPkgDir, n));
  candidates.push(join(here, "licenses", "govuk-frontend-LICENSE.txt"));
  let copied = false;
  for (const file of candidates) {
    try {
      await copyFile(file, join(outDir, "LICENSE.txt"));
      copied = true;
      break;
    } catch {}
  }
  if (!copied) fail("no govuk-frontend licence file found");
}

// --- checks ----------------------------------------------------------------
const cssBytes = Buffer.byteLength(css);
if (cssBytes > MAX_CSS_BYTES) fail(`council.min.css is ${cssBytes} bytes (limit ${MAX_CSS_BYTES})`);
if (/GDS Transport/i.test(css)) fail("council.min.css still mentions GDS Transport");
if (/@font-face/i.test(css)) fail("council.min.css contains an @font-face rule");

for (const match of css.matchAll(/url\(\s*(['"]?)([^'")]+)\1\s*\)/g)) {
  const raw = match[2].trim();
  if (raw.startsWith("data:")) continue;
  if (!raw.startsWith(assetsUrl)) fail(`unexpected url(${raw}) in council.min.css`);
  const file = join(assetsOut, raw.slice(assetsUrl.length).split(/[?#]/)[0]);
  try {
    await stat(file);
  } catch {
    fail(`url(${raw}) in council.min.css points at a missing file ${file}`);
  }
}

// --- report ----------------------------------------------------------------
async function listFiles(dir) {
  const out = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await listFiles(p)));
    else out.push(p);
  }
  return out.sort();
}
console.log(`build: govuk-frontend ${govukVersion}, sass ${sass.info.split("\t")[1] ?? sass.info}`);
for (const file of await listFiles(outDir)) {
  const { size } = await stat(file);
  console.log(`${String(size).padStart(9)}  ${relative(resolve(here, ".."), file)}`);
}
