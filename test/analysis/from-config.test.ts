import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analysisFromConfig } from '../../src/analysis/from-config.js';
import { excerptText } from '../../src/analysis/excerpt.js';
import { classifyInfra } from '../../src/analysis/infra.js';
import { parseConfigText } from '../../src/drivers/registry.js';

const BASE = `releases: [kilo]
dists: { epel-7: {} }
targets: { kilo/epel-7: { repo: "https://example.org/" } }
`;

function analysis(yaml: string) {
  const parsed = parseConfigText(BASE + yaml, 'sluice.yaml');
  assert.ok(parsed.ok, JSON.stringify(!parsed.ok && parsed.problems));
  return analysisFromConfig(parsed.config.analysis);
}

describe('analysis settings from sluice.yaml', () => {
  it('adds a site\'s own pattern set and infra rule to the built-in ones', () => {
    const a = analysis(`analysis:
  patterns:
    - name: tripleo
      patterns: [{ name: stack-failed, pattern: "Stack \\\\S+ CREATE_FAILED", severity: 9 }]
  infra_rules:
    - { name: lab-power, pattern: "PDU outlet \\\\d+ off", certainty: certain, description: "the lab's power switch cut the node" }
`);
    assert.ok(a.ok);
    const log = ['noise', 'more noise', 'Stack overcloud CREATE_FAILED', 'tail'].join('\n');
    const e = excerptText(log, { patterns: a.patterns });
    assert.ok(e.lines.some((l) => l.matched === 'tripleo/stack-failed' && l.n === 3), JSON.stringify(e.lines));
    const v = classifyInfra([{ n: 7, text: 'PDU outlet 12 off' }], a.infraRules);
    assert.ok(v.infra && v.match.rule === 'lab-power', JSON.stringify(v));
    // The built-in ones stay: a full disk is still infra.
    assert.ok(classifyInfra([{ n: 1, text: 'write error: No space left on device' }], a.infraRules).infra);
  });

  it('builtin: false keeps only the site\'s own', () => {
    const a = analysis('analysis: { builtin: false, infra_rules: [] }\n');
    assert.ok(a.ok);
    assert.equal(a.infraRules.length, 0);
    assert.equal(classifyInfra([{ n: 1, text: 'No space left on device' }], a.infraRules).infra, false);
  });

  it('refuses a bad regular expression with its position, and a name used twice in a set', () => {
    const bad = parseConfigText(BASE + 'analysis: { infra_rules: [{ name: x, pattern: "(unclosed", certainty: likely, description: d }] }\n', 'sluice.yaml');
    assert.ok(!bad.ok);
    assert.match(bad.problems.map((p) => `${p.line}: ${p.path}: ${p.message}`).join('\n'), /^4: analysis\.infra_rules\[0\]\.pattern: .*valid JavaScript regular expression/m);
    const twice = analysis('analysis: { patterns: [{ name: s, patterns: [{ name: p, pattern: a }, { name: p, pattern: b }] }] }\n');
    assert.ok(!twice.ok);
    assert.match(twice.problems.join('\n'), /analysis\.patterns: s\/p: /);
  });
});
