import { appendFileSync, closeSync, openSync, readSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Run by the test sshd as the forced command of the client key (sshd.ts): plays
 * `gerrit stream-events` by following a file of JSON lines the test appends to. Like
 * Gerrit it prints only what happens while the client listens (it starts at the file's
 * current end), and it refuses any other command than stream-events.
 * Arguments: EVENTS_FILE PID_DIR COMMAND_LOG. Without them (`node --test dist/test/` runs
 * every file under test/) it does nothing.
 */
const [eventsFile, pidDir, commandLog] = process.argv.slice(2) as [string, string, string];
if (commandLog === undefined) process.exit(0);
const asked = process.env.SSH_ORIGINAL_COMMAND ?? '';
appendFileSync(commandLog, `${asked}\n`);
if (!/^gerrit stream-events( |$)/.test(asked)) {
  process.stderr.write(`fatal: "${asked}" is not a command of this stand-in\n`);
  process.exit(1);
}

let offset = statSync(eventsFile).size;
// Written once the starting offset is fixed: from now on nothing appended is missed.
writeFileSync(join(pidDir, String(process.pid)), '');

const buf = Buffer.alloc(64 * 1024);
setInterval(() => {
  const fd = openSync(eventsFile, 'r');
  try {
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, offset);
      if (n === 0) break;
      offset += n;
      process.stdout.write(Buffer.from(buf.subarray(0, n)));
    }
  } finally {
    closeSync(fd);
  }
}, 20);

// The client closing the channel ends our stdin.
process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
process.stdin.resume();
process.stdout.on('error', () => process.exit(0));
