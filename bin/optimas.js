#!/usr/bin/env node
"use strict";
// The package ships TypeScript sources; tsx's CommonJS hook compiles them on load.
require("tsx/cjs");
const { main } = require("../src/cli/main.ts");
main(process.argv).then((code) => {
  process.exitCode = code;
});
