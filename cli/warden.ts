#!/usr/bin/env node
/** The `warden` command: one entry point, one file per subcommand under cli/commands/. */
import { Command } from 'commander';
import { fail, type GlobalOptions } from './commands/common.js';
import { registerDemo } from './commands/demo.js';
import { registerReplay } from './commands/replay.js';
import { registerMcpGateway } from './commands/mcpGateway.js';
import { registerRespond } from './commands/respond.js';
import { registerRun } from './commands/run.js';
import { registerSimulate } from './commands/simulate.js';
import { registerStack } from './commands/stack.js';
import { registerTail } from './commands/tail.js';
import { registerTopics } from './commands/topics.js';

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';

const program = new Command('warden')
  .description('Agent Warden: watch a fleet of AI agents, alert the SOC, isolate the compromised')
  .option('-c, --config <file>', 'YAML config file (default: $WARDEN_CONFIG, else built-in defaults)')
  .option('--verbose', 'show stack traces on errors')
  .showHelpAfterError();

const globals = (): GlobalOptions => program.opts<GlobalOptions>();
registerDemo(program, globals);
registerStack(program, globals);
registerTopics(program, globals);
registerTail(program, globals);
registerSimulate(program, globals);
registerReplay(program, globals);
registerRespond(program, globals);
registerMcpGateway(program, globals);
registerRun(program, globals);

program.parseAsync(process.argv).catch((err: unknown) => fail(err, Boolean(globals().verbose)));
