import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { loadStackConfig, type StackConfig } from './config.ts';
import { StackError } from './errors.ts';
import { gateService } from './gate-service.ts';
import { importIntoStack } from './import.ts';
import { orthancService, stackDown, stackStatus, stackUp } from './stack.ts';

const report = (message: string): void => {
  process.stderr.write(`[stack] ${message}\n`);
};

interface DemoUserLine {
  username: string;
  password: string;
  role: string;
  studies: string[];
}

function printLogins(demoUsersFile: string | null): void {
  if (!demoUsersFile) return;
  const users = JSON.parse(readFileSync(demoUsersFile, 'utf8')) as DemoUserLine[];
  process.stdout.write('\nDemo logins (generated for this stack):\n');
  for (const user of users) {
    process.stdout.write(
      `  ${user.role.padEnd(12)} ${user.username.padEnd(16)} ${user.password}   (${user.studies.length} ${user.studies.length === 1 ? 'study' : 'studies'})\n`,
    );
  }
}

function configFrom(options: { config?: string }): StackConfig {
  return loadStackConfig(options.config ? { configFile: options.config } : {});
}

const program = new Command('stack')
  .description('Start and stop the local Reading Station stack: Orthanc, proxy-server and nginx on loopback')
  .option('-c, --config <file>', 'stack config file (JSON); environment variables override it');

program
  .command('up')
  .description('start the stack in the background and return when it is ready')
  .option('--no-demo', 'do not load the demo studies and users')
  .action(async (options: { demo: boolean }) => {
    const config = configFrom(program.opts());
    const stack = await stackUp({ ...config, demo: config.demo && options.demo }, report);
    process.stdout.write(`\nReading Station is running at ${stack.baseUrl}\n`);
    process.stdout.write(`State, logs and stack.json: ${stack.stateDir}\n`);
    printLogins(stack.demoUsersFile);
  });

program
  .command('down')
  .description('stop exactly the processes the stack started')
  .action(async () => {
    await stackDown(configFrom(program.opts()), report);
    report('stack stopped');
  });

program
  .command('orthanc')
  .description('stop or start Orthanc alone (to see the stack without its PACS, and its recovery)')
  .argument('<action>', 'stop or start')
  .action(async (action: string) => {
    if (action !== 'stop' && action !== 'start') throw new StackError(`unknown action "${action}": use stop or start`);
    await orthancService(configFrom(program.opts()), action, report);
  });

program
  .command('gate')
  .description('stop (SIGTERM), kill (SIGKILL, as a crash) or start the gate alone, with its configuration from up')
  .argument('<action>', 'stop, kill or start')
  .action(async (action: string) => {
    if (action !== 'stop' && action !== 'kill' && action !== 'start') throw new StackError(`unknown action "${action}": use stop, kill or start`);
    await gateService(configFrom(program.opts()), action, report);
  });

program
  .command('import')
  .description("send DICOM files or directories to the running stack's Orthanc and wait until its gate has recorded the studies (the admin CLI's study import)")
  .argument('<paths...>', 'DICOM files or directories (searched recursively)')
  .action(async (paths: string[]) => {
    process.exitCode = await importIntoStack(configFrom(program.opts()), paths);
  });

program
  .command('status')
  .description('show whether the stack runs')
  .action(() => {
    const { stack, running } = stackStatus(configFrom(program.opts()));
    if (!stack) {
      process.stdout.write('stopped\n');
      process.exitCode = 3;
      return;
    }
    process.stdout.write(`${running.length === 3 ? 'running' : 'degraded'} at ${stack.baseUrl}: ${running.join(', ') || 'nothing'} running\n`);
    if (running.length !== 3) process.exitCode = 1;
  });

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof StackError) {
    process.stderr.write(`[stack] error: ${error.message}\n`);
  } else {
    const detail = process.env.RS_DEBUG ? (error as Error).stack : (error as Error).message;
    process.stderr.write(`[stack] unexpected error: ${detail}\n[stack] set RS_DEBUG=1 for details; logs are under .stack/logs\n`);
  }
  process.exitCode = 1;
}
