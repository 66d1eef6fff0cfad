import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeResponse, encodeCall } from '../../src/drivers/sources/xmlrpc.js';

const response = (value: string) => `<?xml version='1.0'?>\n<methodResponse>\n<params>\n<param>\n<value>${value}</value>\n</param>\n</params>\n</methodResponse>\n`;

describe('the XML-RPC client', () => {
  it('encodes a call with escaped strings, integers, booleans and nil', () => {
    assert.equal(
      encodeCall('getBuild', ['a<b&c', 12345678, true, null]),
      '<?xml version="1.0"?>\n<methodCall><methodName>getBuild</methodName><params><param><value><string>a&lt;b&amp;c</string></value></param><param><value><int>12345678</int></value></param><param><value><boolean>1</boolean></value></param><param><value><nil/></value></param></params></methodCall>\n',
    );
  });

  it('decodes every scalar type, arrays and structs as Python sends them', () => {
    const xml = response('<struct>\n<member>\n<name>i</name>\n<value><int>-3</int></value>\n</member>\n<member>\n<name>i4</name>\n<value><i4>7</i4></value>\n</member>\n'
      + '<member>\n<name>s</name>\n<value><string> a &amp; b </string></value>\n</member>\n<member>\n<name>bare</name>\n<value>untyped</value>\n</member>\n'
      + '<member>\n<name>b</name>\n<value><boolean>0</boolean></value>\n</member>\n<member>\n<name>d</name>\n<value><double>1.5</double></value>\n</member>\n'
      + '<member>\n<name>n</name>\n<value><nil/></value>\n</member>\n<member>\n<name>a</name>\n<value><array><data>\n<value><int>1</int></value>\n<value><string></string></value>\n</data></array></value>\n</member>\n</struct>');
    assert.deepEqual(decodeResponse(xml), { ok: true, value: { i: -3, i4: 7, s: ' a & b ', bare: 'untyped', b: false, d: 1.5, n: null, a: [1, ''] } });
  });

  it('decodes a fault', () => {
    const xml = "<?xml version='1.0'?>\n<methodResponse>\n<fault>\n<value><struct>\n<member>\n<name>faultCode</name>\n<value><int>1000</int></value>\n</member>\n<member>\n<name>faultString</name>\n<value><string>No such build</string></value>\n</member>\n</struct></value>\n</fault>\n</methodResponse>\n";
    assert.deepEqual(decodeResponse(xml), { ok: false, faultCode: 1000, faultString: 'No such build' });
  });

  it('says what is wrong with garbage', () => {
    assert.throws(() => decodeResponse('<html><body>Bad Gateway'), /^Error: not XML/);
    assert.throws(() => decodeResponse('<html><body>Bad Gateway</body></html>'), /expected one <methodResponse>, found <html>/);
    assert.throws(() => decodeResponse(response('<int>twelve</int>')), /<int> holds "twelve"/);
    assert.throws(() => decodeResponse(response('<blob>1</blob>')), /unknown value type <blob>/);
    assert.throws(() => decodeResponse('<methodResponse></methodResponse>'), /methodResponse must hold params or fault/);
  });
});
