import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describeFetchError, withRetry, type HttpPolicy, type Tried } from './http-policy.js';

/**
 * A small XML-RPC client, enough for Koji's hub: request encoding, and response decoding
 * of int/i4/i8/string/boolean/double/array/struct/nil/base64/dateTime and faults.
 * Anything else in a response is garbage, and said so.
 */
export type XmlRpcValue = string | number | boolean | null | XmlRpcValue[] | { [key: string]: XmlRpcValue };

export function encodeCall(method: string, params: readonly XmlRpcValue[]): string {
  const ps = params.map((p) => `<param><value>${encodeValue(p)}</value></param>`).join('');
  return `<?xml version="1.0"?>\n<methodCall><methodName>${escapeXml(method)}</methodName><params>${ps}</params></methodCall>\n`;
}

function encodeValue(v: XmlRpcValue): string {
  if (v === null) return '<nil/>';
  if (typeof v === 'string') return `<string>${escapeXml(v)}</string>`;
  if (typeof v === 'boolean') return `<boolean>${v ? 1 : 0}</boolean>`;
  if (typeof v === 'number') return Number.isSafeInteger(v) ? `<${Math.abs(v) < 2 ** 31 ? 'int' : 'i8'}>${v}</${Math.abs(v) < 2 ** 31 ? 'int' : 'i8'}>` : `<double>${v}</double>`;
  if (Array.isArray(v)) return `<array><data>${v.map((x) => `<value>${encodeValue(x)}</value>`).join('')}</data></array>`;
  const members = Object.entries(v).map(([k, x]) => `<member><name>${escapeXml(k)}</name><value>${encodeValue(x)}</value></member>`);
  return `<struct>${members.join('')}</struct>`;
}

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A decoded response: the value, or the server's fault. */
export type XmlRpcResponse = { readonly ok: true; readonly value: XmlRpcValue } | { readonly ok: false; readonly faultCode: number; readonly faultString: string };

class Garbage extends Error {}

type XmlNode = Record<string, unknown>;

const parser = new XMLParser({ preserveOrder: true, trimValues: false, parseTagValue: false, ignoreAttributes: true, ignoreDeclaration: true, processEntities: true });

/** Decodes a methodResponse; throws an Error whose message says what is wrong with it. */
export function decodeResponse(xml: string): XmlRpcResponse {
  const valid = XMLValidator.validate(xml);
  if (valid !== true) throw new Garbage(`not XML (${valid.err.msg}, line ${valid.err.line})`);
  const root = elements(parser.parse(xml) as XmlNode[]);
  const response = only(root, 'methodResponse');
  const body = elements(children(response));
  const [first] = body;
  if (body.length !== 1 || !first) throw new Garbage('methodResponse must hold params or fault');
  if (tagOf(first) === 'fault') {
    const fault = decodeValue(only(elements(children(first)), 'value'));
    if (typeof fault !== 'object' || fault === null || Array.isArray(fault)) throw new Garbage('a fault must be a struct');
    return { ok: false, faultCode: Number(fault.faultCode), faultString: String(fault.faultString) };
  }
  if (tagOf(first) !== 'params') throw new Garbage(`unexpected <${tagOf(first)}> in methodResponse`);
  const param = only(elements(children(first)), 'param');
  return { ok: true, value: decodeValue(only(elements(children(param)), 'value')) };
}

function decodeValue(valueNode: XmlNode): XmlRpcValue {
  const kids = children(valueNode);
  // <value>text</value> with no type element is a string, by the spec.
  if (kids.every((k) => tagOf(k) === '#text')) return text(kids);
  const typed = elements(kids);
  const [node] = typed;
  if (typed.length !== 1 || !node) throw new Garbage('a value must hold one typed element');
  const tag = tagOf(node);
  const content = tag === 'array' || tag === 'struct' ? '' : text(children(node));
  switch (tag) {
    case 'int':
    case 'i4':
    case 'i8': {
      if (!/^[+-]?[0-9]+$/.test(content.trim())) throw new Garbage(`<${tag}> holds ${JSON.stringify(content)}`);
      return Number(content.trim());
    }
    case 'boolean':
      if (content.trim() !== '0' && content.trim() !== '1') throw new Garbage(`<boolean> holds ${JSON.stringify(content)}`);
      return content.trim() === '1';
    case 'double': {
      const n = Number(content.trim());
      if (content.trim() === '' || Number.isNaN(n)) throw new Garbage(`<double> holds ${JSON.stringify(content)}`);
      return n;
    }
    case 'string':
    case 'dateTime.iso8601':
      return content;
    case 'base64':
      return Buffer.from(content.trim(), 'base64').toString('utf8');
    case 'nil':
      return null;
    case 'array': {
      const data = only(elements(children(node)), 'data');
      return elements(children(data)).map((v) => {
        if (tagOf(v) !== 'value') throw new Garbage(`unexpected <${tagOf(v)}> in an array`);
        return decodeValue(v);
      });
    }
    case 'struct': {
      const out: { [key: string]: XmlRpcValue } = {};
      for (const member of elements(children(node))) {
        if (tagOf(member) !== 'member') throw new Garbage(`unexpected <${tagOf(member)}> in a struct`);
        const parts = elements(children(member));
        const name = parts.find((p) => tagOf(p) === 'name');
        const value = parts.find((p) => tagOf(p) === 'value');
        if (!name || !value) throw new Garbage('a struct member needs a name and a value');
        out[text(children(name))] = decodeValue(value);
      }
      return out;
    }
    default:
      throw new Garbage(`unknown value type <${tag}>`);
  }
}

function tagOf(node: XmlNode): string {
  return Object.keys(node).find((k) => k !== ':@') ?? '';
}

function children(node: XmlNode): XmlNode[] {
  const kids = node[tagOf(node)];
  return Array.isArray(kids) ? (kids as XmlNode[]) : [];
}

/** The element children; text between elements must be blank. */
function elements(nodes: XmlNode[]): XmlNode[] {
  const out: XmlNode[] = [];
  for (const n of nodes) {
    if (tagOf(n) === '#text') {
      if (String(n['#text']).trim() !== '') throw new Garbage(`stray text ${JSON.stringify(String(n['#text']).slice(0, 40))}`);
    } else if (tagOf(n) !== '?xml' && tagOf(n) !== '#comment') {
      out.push(n);
    }
  }
  return out;
}

function text(nodes: XmlNode[]): string {
  if (nodes.some((n) => tagOf(n) !== '#text')) throw new Garbage('markup where text was expected');
  return nodes.map((n) => String(n['#text'])).join('');
}

function only(nodes: XmlNode[], tag: string): XmlNode {
  const [node] = nodes;
  if (nodes.length !== 1 || !node || tagOf(node) !== tag) throw new Garbage(`expected one <${tag}>, found ${nodes.map((n) => `<${tagOf(n)}>`).join(' ') || 'nothing'}`);
  return node;
}

/**
 * Calls `method` on the hub. A fault, garbage or an HTTP error is a message (the
 * caller decides whose fault it is); transport errors, timeouts and 5xx are retried.
 */
export async function callXmlRpc(hub: string, method: string, params: readonly XmlRpcValue[], policy: HttpPolicy, signal?: AbortSignal): Promise<Tried<XmlRpcValue>> {
  const body = encodeCall(method, params);
  return withRetry(policy, signal, async (sig) => {
    let xml: string;
    try {
      const res = await fetch(hub, { method: 'POST', body, headers: { 'content-type': 'text/xml' }, signal: sig });
      xml = await res.text();
      if (!res.ok) return { ok: false, transient: res.status >= 500, message: `hub ${hub} answered ${method} with HTTP ${res.status}: ${snippet(xml)}` };
    } catch (error) {
      return { ok: false, transient: true, message: `hub ${hub} failed on ${method}: ${describeFetchError(error, policy.timeoutMs)}` };
    }
    let decoded: XmlRpcResponse;
    try {
      decoded = decodeResponse(xml);
    } catch (error) {
      return { ok: false, transient: false, message: `hub ${hub} answered ${method} with garbage: ${(error as Error).message}` };
    }
    if (!decoded.ok) return { ok: false, transient: false, message: `hub ${hub} refused ${method}: fault ${decoded.faultCode}: ${lastLine(decoded.faultString)}` };
    return { ok: true, value: decoded.value };
  });
}

/** The start of an error page, on one line: enough to tell a proxy's page from the hub's. */
function snippet(body: string): string {
  const text = body.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim();
  return text.length > 160 ? `${text.slice(0, 160)}...` : text || '(empty)';
}

/** A Python traceback ends with the error itself. */
function lastLine(text: string): string {
  return text.split('\n').map((l) => l.trim()).filter((l) => l !== '').at(-1) ?? '(no fault string)';
}
