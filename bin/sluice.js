#!/usr/bin/env node
// The compiled CLI lives in dist/; `npm run build` makes it.
import { main } from '../dist/src/cli/main.js';

process.exitCode = await main(process.argv.slice(2));
