#!/usr/bin/env node
// The package's `bin`: runs the TypeScript entry through tsx's require hook (no build step).
"use strict";
/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS bin: require is how it loads tsx */
require("tsx/cjs");
require("./main.ts");
