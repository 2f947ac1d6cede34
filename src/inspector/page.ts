// The page itself: a static HTML shell, a stylesheet, and the client script bundled from
// src/inspector/client/ by esbuild on first request (kept in memory; no CDN, no build step to forget).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/** The client script, bundled on first call (from the .ts sources, or the compiled .js in dist/), then kept. */
export function clientBundler(): () => Promise<string> {
  let bundle: Promise<string> | null = null;
  return () => {
    if (!bundle) {
      bundle = buildBundle();
      bundle.catch(() => { bundle = null; });
    }
    return bundle;
  };
}

async function buildBundle(): Promise<string> {
  const entry = ['ts', 'js'].map((ext) => fileURLToPath(new URL(`./client/main.${ext}`, import.meta.url))).find(existsSync);
  if (!entry) throw new Error('inspector client sources not found');
  const out = await build({
    entryPoints: [entry], bundle: true, write: false, format: 'iife', platform: 'browser', target: 'es2020',
    minify: true, legalComments: 'none', logLevel: 'silent',
  });
  return out.outputFiles[0].text;
}

export const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Inspector — Matrix homeserver</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/_inspector/inspector.css">
<script defer src="/_inspector/app.js"></script>
</head>
<body>
<noscript>The inspector needs JavaScript (served by this homeserver, nothing from elsewhere).</noscript>
<div id="app"></div>
</body>
</html>
`;

export const PAGE_CSS = `
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.4 system-ui, sans-serif; color: #1d2330; background: #f5f6f8; }
header { display: flex; align-items: center; gap: 16px; padding: 8px 16px; background: #1d2330; color: #fff; }
header h1 { font-size: 16px; margin: 0 12px 0 0; }
header nav button { background: none; border: 0; color: #cfd6e4; font: inherit; padding: 6px 10px; cursor: pointer; border-radius: 4px; }
header nav button.active { background: #3a4560; color: #fff; }
header .who { margin-left: auto; font-size: 12px; color: #cfd6e4; }
header .live { font-size: 12px; color: #9fe09f; }
main { padding: 16px; }
table { border-collapse: collapse; width: 100%; background: #fff; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid #e3e6eb; vertical-align: top; font-size: 13px; }
th { background: #eef0f4; font-weight: 600; }
tr.clickable { cursor: pointer; }
tr.clickable:hover { background: #f0f5ff; }
code, pre, .mono { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 12px; }
pre { background: #fff; border: 1px solid #e3e6eb; padding: 8px; overflow: auto; max-height: 420px; white-space: pre-wrap; word-break: break-all; }
input[type=text], input[type=password] { padding: 6px 8px; border: 1px solid #c4c9d4; border-radius: 4px; font: inherit; }
button.action { padding: 4px 10px; border: 1px solid #4a6cf7; background: #4a6cf7; color: #fff; border-radius: 4px; cursor: pointer; }
button.plain { padding: 4px 10px; border: 1px solid #c4c9d4; background: #fff; border-radius: 4px; cursor: pointer; }
form.login { max-width: 320px; margin: 60px auto; display: flex; flex-direction: column; gap: 10px; background: #fff; padding: 24px; border-radius: 8px; }
.error { color: #b3261e; }
.ok { color: #1e7b34; }
.muted { color: #6b7385; }
.graph-wrap { display: flex; gap: 12px; height: calc(100vh - 160px); min-height: 320px; }
.graph { flex: 1 1 60%; background: #fff; border: 1px solid #e3e6eb; position: relative; overflow: hidden; }
.graph svg { width: 100%; height: 100%; cursor: grab; user-select: none; }
g.node.selected rect { stroke-width: 5px; filter: drop-shadow(0 0 4px rgba(29, 35, 48, 0.8)); }
.details { flex: 1 1 40%; overflow: auto; background: #fff; border: 1px solid #e3e6eb; padding: 8px 12px; }
.legend { display: flex; flex-wrap: wrap; gap: 10px; font-size: 12px; margin: 6px 0; }
.legend span::before { content: ''; display: inline-block; width: 10px; height: 10px; margin-right: 4px; background: var(--c); border-radius: 2px; }
.toolbar { display: flex; gap: 8px; align-items: center; margin-bottom: 8px; }
h2 { font-size: 15px; margin: 12px 0 6px; }
h3 { font-size: 13px; margin: 10px 0 4px; }
.badge { display: inline-block; padding: 0 6px; border-radius: 8px; font-size: 11px; background: #eef0f4; margin-left: 4px; }
.badge.bad { background: #fde2e0; color: #b3261e; }
.badge.good { background: #dff3e4; color: #1e7b34; }
ul.feed { list-style: none; margin: 0; padding: 0; background: #fff; border: 1px solid #e3e6eb; max-height: 70vh; overflow: auto; }
ul.feed li { padding: 4px 8px; border-bottom: 1px solid #eef0f4; font-size: 12px; }
`;
