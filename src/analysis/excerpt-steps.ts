/**
 * The structure of a CI log around its failure, as tools and CI systems print it, named by
 * format and never by project: where a step (one command) begins, and the line that says a
 * step failed. The first such line closes "the failed step": its last lines are what most
 * often explains the failure (a linter's findings, a test's assertion, the compiler's error
 * just above `make: ***`), whether or not they contain an error word.
 */

/**
 * A step begins: a CI system echoing the command it runs (Travis `$ cmd`, after its fold
 * and timer markers), a GitHub Actions group, an Ansible task, a Zuul/Jenkins stage.
 */
export const STEP_START = /^(?:travis_fold:start:\S*?|travis_time:start:\w+)?\$ \S|^(?:travis_fold:start:|##\[group\]|TASK \[|\[Pipeline\] stage\b)/;

/**
 * A step has failed: the CI system's own verdict on a command, or the first line of a
 * build tool's chain of failures (make, npm, yarn, Gradle, Maven, ant, cargo, ninja, tox).
 * The first of them is where the failure surfaced; later ones repeat it upward.
 */
const STEP_FAILED_AT_START = new RegExp(`^(?:${[
  String.raw`" (?:failed and )?exited with -?[1-9]\d*\.`,
  String.raw`##\[error\]Process completed with exit code [1-9]`,
  String.raw`(?:Makefile|GNUmakefile|[\w./-]*\.mk):\d+: recipe for target .* failed`,
  String.raw`g?make(?:\[\d+\])?: \*\*\* `,
  String.raw`npm ERR! (?:code ELIFECYCLE|Test failed|errno [1-9]|Exit status [1-9]|\S+@\S+ \w+: )`,
  String.raw`error Command failed with exit code [1-9]`,
  String.raw`FAILURE: Build failed with an exception`,
  String.raw`\[(?:INFO|ERROR)\] BUILD FAILURE`,
  String.raw`BUILD FAILED\b`,
  String.raw`error: (?:could not compile|test failed|build failed)`,
  String.raw`ninja: build stopped`,
  String.raw`ERROR: InvocationError\b|ERROR:\s+\S+: commands failed`,
  String.raw`Script exited with code [1-9]|Command exited with non-zero status [1-9]`,
].join('|')})`);
// Travis prints its verdict after its own timer marker, on the same line.
const STEP_FAILED_ANYWHERE = /The command ".*" (?:failed and )?exited with -?[1-9]|Configuring incomplete, errors occurred!/;

/** Whether a line says a step failed (two expressions: anchored ones are tried at the start only). */
export function saysStepFailed(text: string): boolean {
  return STEP_FAILED_AT_START.test(text) || (text.includes('xited with') || text.includes('Configuring incomplete')) && STEP_FAILED_ANYWHERE.test(text);
}

/** Lines of a failed step's end offered as one block, besides the marker itself. */
export const FAILED_BLOCK_LINES = 30;
/** How far up the scanner keeps lines for that block (blank and known lines are skipped). */
export const FAILED_BLOCK_REACH = 60;

/** CI bookkeeping that says nothing about the failure: timer and fold markers, blank lines. */
export function isBookkeeping(text: string): boolean {
  const t = text.trim();
  return t === '' || /^travis_(?:time|fold):/.test(t) || /^[-=_*#~.]{3,}$/.test(t);
}

/**
 * A line that reports a success, whatever words its test's name holds
 * (`test_match[cat: No such file or directory] PASSED`, `--- PASS:`, `✓ handles errors`,
 * tasty's `  compiles without error:      OK (0.02s)`): never a candidate, never filler.
 */
export const PASSING_LINE = /\sPASS(?:ED)?(?:\s+\[\s*\d+%\])?\s*$|^\s*--- PASS: |^\s*[✓✔√]\s|^ok \d+\b|^ok\s+\S+\s+[\d.]+s$|\.\.\. (?:ok|passed)$|^\s*\[\s*(?:OK|PASSED)\s*\]\s|:\s+OK(?: \([\d.]+m?s\))?\s*$/;

/** A warning is not the error: its hit counts WARNING_PENALTY weaker unless its pattern is a strong one. */
export const WARNING_LINE = /\bwarn(?:ing)?\b(?!s? (?:as|treated as) errors?)/i;
export const WARNING_PENALTY = 3;
