import assert from 'node:assert/strict';
import { test } from 'node:test';
import { statement } from '../../src/db/pg-statements.ts';

test('data statements get one stable name per text; searches, transactions and DDL stay unnamed', () => {
  const select = statement('select * from "tickets" where "id" = $1', [1]);
  assert.ok(select.name);
  assert.equal(statement('select * from "tickets" where "id" = $1', [2]).name, select.name);
  assert.deepEqual(statement('select * from "tickets" where "id" = $1', [2]).values, [2]);
  assert.notEqual(statement('update "tickets" set "status" = $1 where "id" = $2', ['resolved', 1]).name, select.name);
  assert.ok(statement('  with x as (select 1) select * from x', []).name);
  assert.equal(statement('select 1 from tickets where search @@ to_tsquery($1)', ['a']).name, undefined);
  for (const text of [
    'begin',
    'commit',
    'rollback',
    'create table t (id int)',
    'alter table t add column x int',
    'set search_path = x',
  ]) {
    assert.equal(statement(text, []).name, undefined, text);
  }
});

test('at most 400 texts are named per process; the rest run unnamed', () => {
  for (let i = 0; i < 500; i++) {
    statement(
      `select ${i} as n from users where id in (${Array.from({ length: i + 1 }, (_, j) => `$${j + 1}`).join(', ')})`,
      [],
    );
  }
  assert.equal(statement('select 1000 as fresh', []).name, undefined);
  assert.ok(statement('select * from "tickets" where "id" = $1', [1]).name, 'texts named earlier keep their name');
});
