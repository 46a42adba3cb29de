import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { declaredLicence, isAllowed, productionTree } from '../../scripts/check-licences.ts';

describe('the production licence check', () => {
  test('SPDX expressions pass only when satisfiable with permissive licences', () => {
    for (const ok of [
      'MIT',
      'ISC',
      'BSD-3-Clause',
      'Apache-2.0',
      '(MIT OR WTFPL)',
      '(BSD-2-Clause OR MIT OR Apache-2.0)',
      'MIT OR AGPL-3.0-or-later',
      'Apache-2.0 WITH LLVM-exception',
      'MIT AND ISC',
      'BlueOak-1.0.0',
      '0BSD',
    ]) {
      assert.equal(isAllowed(ok), true, ok);
    }
    for (const refused of [
      'AGPL-3.0-or-later',
      'AGPL-3.0',
      'GPL-3.0-only',
      'LGPL-2.1',
      'MIT AND GPL-2.0',
      'SSPL-1.0',
      'SEE LICENSE IN LICENSE.md',
      'UNLICENSED',
      '(MIT',
      'MIT OR',
      '',
    ]) {
      assert.equal(isAllowed(refused), false, refused);
    }
    assert.equal(declaredLicence({ license: { type: 'MIT' } }), 'MIT');
    assert.equal(declaredLicence({ licenses: [{ type: 'MIT' }, { type: 'Apache-2.0' }] }), 'MIT OR Apache-2.0');
    assert.equal(declaredLicence({}), null);
  });

  test('a production dependency under AGPL (ua-parser-js 2.x) is found; dev dependencies are not looked at', (t) => {
    const root = mkdtempSync(path.join(tmpdir(), 'parapet-licences-'));
    t.after(() => rmSync(root, { recursive: true, force: true }));
    const pkg = (dir: string, json: object) => {
      mkdirSync(dir, { recursive: true });
      writeFileSync(path.join(dir, 'package.json'), JSON.stringify(json));
    };
    pkg(root, {
      name: 'fixture',
      version: '1.0.0',
      license: 'MIT',
      dependencies: { 'ua-parser-js': '2.0.10', fine: '1.0.0' },
      devDependencies: { 'gpl-tool': '1.0.0' },
    });
    pkg(path.join(root, 'node_modules', 'ua-parser-js'), {
      name: 'ua-parser-js',
      version: '2.0.10',
      license: 'AGPL-3.0-or-later',
    });
    pkg(path.join(root, 'node_modules', 'fine'), { name: 'fine', version: '1.0.0', license: 'MIT' });
    pkg(path.join(root, 'node_modules', 'gpl-tool'), { name: 'gpl-tool', version: '1.0.0', license: 'GPL-3.0-only' });
    const tree = productionTree(root);
    assert.deepEqual(
      tree.map((p) => [p.name, p.licence, p.allowed]),
      [
        ['fine', 'MIT', true],
        ['ua-parser-js', 'AGPL-3.0-or-later', false],
      ],
    );
  });

  test('this project’s production tree passes', () => {
    const refused = productionTree(path.resolve(import.meta.dirname, '../..')).filter((p) => !p.allowed);
    assert.deepEqual(refused, []);
  });
});
