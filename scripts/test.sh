#!/usr/bin/env bash
# The whole test suite: type check, Node/Dawn unit tests, the browser suite in Chromium, then the e2e tests
# (Playwright). Ends with one plain summary line over all three projects.
set -euo pipefail
cd "$(dirname "$0")/.."
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp}
reports=test-results/reports
rm -rf "$reports" && mkdir -p "$reports"
npx tsc --noEmit -p tsconfig.json
for project in unit browser e2e; do
  npx vitest run --project "$project" --reporter=default --reporter=json --outputFile.json="$reports/$project.json"
done
node -e '
  const fs = require("node:fs");
  let passed = 0, failed = 0;
  for (const f of fs.readdirSync(process.argv[1])) {
    const r = JSON.parse(fs.readFileSync(process.argv[1] + "/" + f, "utf8"));
    passed += r.numPassedTests; failed += r.numFailedTests;
  }
  console.log(`tests: ${passed} passed, ${failed} failed`);
  if (passed === 0 || failed > 0) process.exit(1);
' "$reports"
