/**
 * The message of a log line: the line without the decorations CI systems and loggers put
 * in front of it (timestamps, `[task …]` tags, `LEVEL:logger:` and `LEVEL - ` fields,
 * mock's `DEBUG util.py:459:`). Patterns anchored with `^` then mean "the message starts
 * with", whichever system wrapped the tool's output, and a tool's `error:` wrapped in
 * three layers of prefixes is still recognised.
 *
 * Levels of DEBUG/INFO are dropped with the prefix; ERROR and worse are dropped too, since
 * a pattern may look for them on the whole line (`on: 'line'`).
 */
const LEVEL = '(?:TRACE|DEBUG|INFO|NOTICE|WARN(?:ING)?|ERROR|CRITICAL|FATAL)';
const PREFIX_PARTS = [
  // "[task 2025-02-13T22:10:07.053Z] ", "[taskcluster 2025-02-13 21:48:07.738Z] "
  String.raw`\[[^\]\s]+ \d{4}-\d\d-\d\d[T ][\d:.,]+Z?\]\s*`,
  // "2017-11-10 02:43:05.887718 | ", "2017-06-24 13:36:02,886 ", "[2024-01-01T10:00:00Z] "
  String.raw`\[?\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)?\]?\s*(?:\|\s?)?`,
  // "21:47:57    " before a level (mozharness), "[10:00:00] "
  String.raw`\[?\d\d:\d\d:\d\d(?:[.,]\d+)?\]?\s+(?=\[?${LEVEL}\b)`,
  // "ERROR - " (mozharness), "[INFO] "
  String.raw`${LEVEL}\s+-\s+`,
  String.raw`\[${LEVEL}\]\s*`,
  // "INFO:dlrn-build:" (Python logging's default format)
  String.raw`${LEVEL}:[\w.-]+:`,
  // "DEBUG util.py:459:  " (mock's root.log)
  String.raw`${LEVEL}\s+[\w.-]+\.py:\d+:\s+`,
  // "PID 16211 | ", "GECKO(5432) | ": a harness naming the process whose output follows
  String.raw`(?:PID \d+|[A-Z][\w.-]*\(\d+\)) \| `,
  // "DEBUG: ", "INFO: " (mock's own output); ERROR: stays, it is part of many tools' messages
  String.raw`(?:TRACE|DEBUG|INFO|NOTICE):\s`,
];
const PREFIX = new RegExp(`^(?:${PREFIX_PARTS.map((p) => `(?:${p})`).join('|')})+`);

/** The line's message: `line` without its leading log decorations. */
export function logMessage(line: string): string {
  const m = PREFIX.exec(line);
  return m ? line.slice(m[0].length) : line;
}
