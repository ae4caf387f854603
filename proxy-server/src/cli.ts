#!/usr/bin/env node
// reading-station-admin: the administration CLI (see cli/program.ts for the commands).
import { runCli } from './cli/program.ts';

process.exitCode = await runCli(process.argv.slice(2), {
  env: process.env,
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
});
