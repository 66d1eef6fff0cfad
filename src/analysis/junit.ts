import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { capMessage, type TestResult, type TestStatus } from './test-result.js';

/**
 * Per-test results from JUnit XML, as pytest, stestr (subunit2junitxml), Maven Surefire and
 * most CI tools write it: `<testsuites>` (or one `<testsuite>`, possibly nested) holding
 * `<testcase classname name time>` elements, each with an optional `<failure>`, `<error>`
 * or `<skipped>`. A test's id is `classname.name`, the form stestr and pytest print.
 */
export class TestResultsError extends Error {}

type Node = Record<string, unknown>;

const LISTS = new Set(['testsuite', 'testcase', 'failure', 'error', 'skipped']);
const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  parseTagValue: false,
  parseAttributeValue: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  processEntities: true,
  isArray: (name) => LISTS.has(name),
});

export function parseJunit(xml: string): TestResult[] {
  // A DTD could declare entities that expand without bound; JUnit files never need one.
  if (/<!ENTITY/i.test(xml)) throw new TestResultsError('the XML declares entities, which JUnit files never do');
  const valid = XMLValidator.validate(xml);
  if (valid !== true) throw new TestResultsError(`not well-formed XML: ${valid.err.msg} (line ${valid.err.line})`);
  const doc = parser.parse(xml) as Node;
  const roots = [...asList(doc.testsuites), ...asList(doc.testsuite)];
  if (roots.length === 0) throw new TestResultsError('not JUnit XML: no <testsuites> or <testsuite> element');
  const out: TestResult[] = [];
  const visit = (suite: Node): void => {
    for (const tc of asList(suite.testcase)) out.push(testcase(tc));
    for (const inner of asList(suite.testsuite)) visit(inner);
  };
  for (const root of roots) visit(root);
  return out;
}

function testcase(tc: Node): TestResult {
  const name = attr(tc, 'name') ?? '';
  const classname = attr(tc, 'classname');
  const id = classname ? `${classname}.${name}` : name;
  const seconds = Number(attr(tc, 'time'));
  const durationMs = attr(tc, 'time') !== undefined && Number.isFinite(seconds) ? Math.round(seconds * 1e6) / 1e3 : undefined;
  const [status, detail]: [TestStatus, Node | undefined] =
    tc.failure !== undefined ? ['fail', asList(tc.failure)[0]]
      : tc.error !== undefined ? ['error', asList(tc.error)[0]]
        : tc.skipped !== undefined ? ['skip', asList(tc.skipped)[0]]
          : ['pass', undefined];
  const message = detail === undefined ? undefined : messageOf(detail);
  return { id, status, ...(durationMs !== undefined ? { durationMs } : {}), ...(message ? { message } : {}) };
}

/** The message attribute (an assertion's text), else the element's text (often a stack trace). */
function messageOf(detail: Node): string | undefined {
  const text = [attr(detail, 'message'), typeof detail['#text'] === 'string' ? detail['#text'] : undefined].find((t) => t !== undefined && t.trim() !== '');
  return text === undefined ? undefined : capMessage(text.trim());
}

function attr(node: Node, name: string): string | undefined {
  const v = node[`@_${name}`];
  return typeof v === 'string' ? v : undefined;
}

function asList(v: unknown): Node[] {
  if (v === undefined || v === null) return [];
  const list = Array.isArray(v) ? v : [v];
  return list.map((x) => (typeof x === 'object' && x !== null ? (x as Node) : { '#text': String(x) }));
}
