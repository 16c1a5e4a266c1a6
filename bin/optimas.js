#!/usr/bin/env node
"use strict";
// The package ships TypeScript sources; tsx's CommonJS hook compiles them on load.
require("tsx/cjs");
require("../src/cli/main.ts");
