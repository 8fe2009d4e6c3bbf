// The injection corpus (test/injection-corpus.test.ts): for each operation type, the request and
// the answer it must get. A refusal is a documented code; an answer treats the text as a literal
// (no rows, or exactly the row whose value is that text). Sample rows: see src/testing.ts.
export type Dialect = 'postgres' | 'mariadb';
export type Operation = 'list' | 'get' | 'by-user' | 'create' | 'update' | 'delete' | 'by-name' | 'set-city';

export interface Outcome {
  status: number;
  code?: string;
  /** user_id of the rows returned, in order (get: the one row). */
  userIds?: string[];
  /** Named writing query: rows changed. */
  affected?: number;
  /** create/update: the returned row contains these values. */
  row?: Record<string, unknown>;
}

export interface CorpusCase {
  label: string;
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  path: string;
  body?: unknown;
  /** Body text sent as written (JSON that JSON.stringify cannot produce). */
  raw?: string;
  expect: Outcome | Record<Dialect, Outcome>;
}

/** Rows the write operations may touch (inserted by the test before the corpus runs). */
export const SCRATCH = { one: 'inj-scratch-1', two: 'inj-scratch-2' } as const;

const O_BRIEN = "O'Brien; DROP TABLE residents; --"; // the name of u-003
const JOHN = 'Ｊｏｈｎ　Ｄｏｅ'; // the name of u-004 (fullwidth)
const LONG = 'A'.repeat(8000);
const TOO_LONG = 'A'.repeat(70_000);
/** Quotes, comments, stacked statements and Unicode look-alikes, as values. */
const TEXTS = [
  "' OR '1'='1",
  "x' OR 1=1 --",
  "x'/* */OR/**/'1'='1",
  "x' #",
  "1; DROP TABLE residents",
  "x'; DELETE FROM secrets; --",
  "x\\'; DROP TABLE residents; --",
  '＇ OR ＇1＇＝＇1',
  'x；DROP TABLE residents',
  'x’ OR ’1’=’1',
  'xʼ OR ʼ1ʼ=ʼ1',
];

const rows = (...userIds: string[]): Outcome => ({ status: 200, userIds });
const refused = (code: string, status = 400): Outcome => ({ status, code });
const FILTER = refused('ADAPTER_FILTER_INVALID');
const KEY = refused('ADAPTER_KEY_INVALID');
const BODY = refused('ADAPTER_BODY_INVALID');
const PARAMETER = refused('ADAPTER_PARAMETER_INVALID');
const MALFORMED = refused('KIT_MALFORMED_BODY');
const NOT_FOUND = refused('ADAPTER_ROW_NOT_FOUND', 404);
const NO_SERVICE = refused('ADAPTER_SERVICE_NOT_FOUND', 404);

const enc = encodeURIComponent;
const qs = (...pairs: Array<[string, string]>) => (pairs.length ? `?${pairs.map(([n, v]) => `${enc(n)}=${enc(v)}`).join('&')}` : '');
const get = (label: string, path: string, expect: CorpusCase['expect']): CorpusCase => ({ label, method: 'GET', path, expect });

function listCases(): CorpusCase[] {
  const list = (label: string, pairs: Array<[string, string]>, expect: CorpusCase['expect']) => get(label, `/inj/list${qs(...pairs)}`, expect);
  return [
    list('no parameters', [], { status: 200 }),
    ...TEXTS.map((t) => list(`name=eq.${t}`, [['name', `eq.${t}`]], rows())),
    ...TEXTS.map((t) => list(`user_id=eq.u-001${t}`, [['user_id', `eq.u-001${t}`]], rows())),
    list('the stored injection text as a literal', [['name', `eq.${O_BRIEN}`]], rows('u-003')),
    list('a fullwidth name as a literal', [['name', `eq.${JOHN}`]], rows('u-004')),
    list('name=in.(injection texts)', [['name', `in.(${TEXTS.map((t) => t.replaceAll(',', ' ')).join(',')})`]], rows()),
    // operators
    list('id=eq.1 or 1=1', [['id', 'eq.1 or 1=1']], FILTER),
    list('id=gt.0)--', [['id', 'gt.0)--']], FILTER),
    list("name=like.%' or '1'='1", [['name', "like.%' or '1'='1"]], rows()),
    list("name=like.*' or '1'='1", [['name', "like.*' or '1'='1"]], rows()),
    list('name=like.% (a literal percent sign)', [['name', 'like.%']], rows()),
    list('name=like._ (a literal underscore)', [['name', 'like._']], rows()),
    list('unknown operator contains', [['id', 'contains.1']], FILTER),
    list('unknown operator regex', [['name', 'regex..*']], FILTER),
    list('operator in upper case', [['id', 'EQ.1']], FILTER),
    list('operator without value', [['id', 'eq']], FILTER),
    list('value without operator', [['id', '1']], FILTER),
    list('id=eq.1&id=eq.2', [['id', 'eq.1'], ['id', 'eq.2']], rows()),
    list('id=eq.1&id=in.(1,2)', [['id', 'eq.1'], ['id', 'in.(1,2)']], rows('u-001')),
    list('id=eq.1&id=eq.1 or 1=1', [['id', 'eq.1'], ['id', 'eq.1 or 1=1']], FILTER),
    list('id=in.(1,2) or 1=1', [['id', 'in.(1,2) or 1=1']], FILTER),
    list('id=in.(1,2);DROP TABLE residents', [['id', 'in.(1,2);DROP TABLE residents']], FILTER),
    list('id=in.(1,2 or 1=1)', [['id', 'in.(1,2 or 1=1)']], FILTER),
    list('id=in.()', [['id', 'in.()']], FILTER),
    list('id=in. with 101 values', [['id', `in.(${Array.from({ length: 101 }, (_, i) => i + 1).join(',')})`]], FILTER),
    list('id=is.null or 1=1', [['id', 'is.null or 1=1']], FILTER),
    list('active=eq.true or 1=1', [['active', 'eq.true or 1=1']], FILTER),
    list('active=eq.1', [['active', 'eq.1']], FILTER),
    list('registered_on=eq.2026-01-15 quote', [['registered_on', "eq.2026-01-15' OR '1'='1"]], FILTER),
    list('registered_on=eq.2026-02-30', [['registered_on', 'eq.2026-02-30']], FILTER),
    list('or=(id.eq.2)', [['id', 'eq.1'], ['or', '(id.eq.2)']], FILTER),
    list('21 filters', Array.from({ length: 21 }, () => ['id', 'gte.0'] as [string, string]), FILTER),
    // identifiers in filter names, select and order
    ...['"id"', '`id`', '[id]', 'id;drop table residents', '(select secret from secrets)', 'secret', 'email', 'id--', 'id#', 'id/**/', '1 OR 1=1', '../secrets', 'residents.id', 'ID', 'ｉｄ', 'id\u0000'].map((name) =>
      list(`filter name ${name}`, [[name, 'eq.1']], FILTER),
    ),
    ...['secret', '*', 'email', '"id"', 'id,(select secret from secrets)', 'id;drop table x', 'id--', 'count(*)', 'id name', ''].map((select) => list(`select=${select}`, [['select', select]], FILTER)),
    list('select given twice', [['select', 'id'], ['select', 'email']], FILTER),
    list('select=user_id,name', [['select', 'user_id,name'], ['user_id', 'eq.u-002']], rows('u-002')),
    ...['id;drop table x', '(select secret from secrets)', 'id.desc;--', 'id.asc nulls first', 'secret.asc', 'email.desc', 'city.asc', '"id"', 'id.DESC', '1', 'id.desc,id.asc,id.desc,id.asc,id.desc,id.asc'].map((order) =>
      list(`order=${order}`, [['order', order]], FILTER),
    ),
    list('order given twice', [['order', 'id'], ['order', 'name']], FILTER),
    list('order=birth_year.desc', [['order', 'birth_year.desc'], ['user_id', 'in.(u-001,u-002)']], rows('u-001', 'u-002')),
    // numbers
    list('id=eq.99999999999999999999999', [['id', 'eq.99999999999999999999999']], FILTER),
    list('birth_year=eq.9223372036854775808', [['birth_year', 'eq.9223372036854775808']], FILTER),
    // Within 64 bits but not 32: PostgreSQL refuses the bound value for an integer column, MariaDB compares it.
    list('birth_year=eq.9223372036854775807', [['birth_year', 'eq.9223372036854775807']], { postgres: FILTER, mariadb: rows() }),
    list('points=eq.1e309', [['points', 'eq.1e309']], rows()),
    list('points=eq.-0x10', [['points', 'eq.-0x10']], FILTER),
    list('points=eq.NaN', [['points', 'eq.NaN']], FILTER),
    list('points=eq.Infinity', [['points', 'eq.Infinity']], FILTER),
    list('id=eq.-0x10', [['id', 'eq.-0x10']], FILTER),
    list('id=eq.1e3', [['id', 'eq.1e3']], FILTER),
    list('id=eq.１ (fullwidth digit)', [['id', 'eq.１']], FILTER),
    // repeats and limits
    list('limit=1&limit=2', [['limit', '1'], ['limit', '2']], FILTER),
    list('offset=0&offset=1', [['offset', '0'], ['offset', '1']], FILTER),
    ...['-1', '0', '1;drop table residents', '99999999999', '1e1', '11', '1 OR 1=1', '0x10'].map((limit) => list(`limit=${limit}`, [['limit', limit]], FILTER)),
    list('offset=-1', [['offset', '-1']], FILTER),
    list('limit[]=1', [['limit[]', '1']], FILTER),
    // NUL bytes and long values
    list('NUL in a value', [['name', 'eq.a\u0000b']], FILTER),
    list('NUL in a like pattern', [['name', 'like.*\u0000*']], FILTER),
    list('an 8000-character value', [['name', `eq.${LONG}`]], rows()),
    list('an 8000-character like pattern', [['name', `like.*${LONG}*`]], rows()),
    // path tricks
    get('a key on a list', '/inj/list/%2e%2e%2f', NO_SERVICE),
    get('service name with a statement', '/inj/list%3Bdrop%20table%20residents', NO_SERVICE),
    get('service name with a quote', "/inj/list'%20OR%20'1'='1", NO_SERVICE),
  ];
}

function getCases(): CorpusCase[] {
  return [
    get('a valid key', '/inj/get/1', rows('u-001')),
    ...['1 OR 1=1', "1' OR '1'='1", '1--', '1/* */', '1#', '1; DROP TABLE residents', "1'; DELETE FROM secrets; --", '1；', '1＇', '../', '../../secrets', '99999999999999999999999', '1e309', '-0x10', '1.0', '１', '1\u0000', ' 1', 'true', 'null'].map((key) =>
      get(`key ${JSON.stringify(key)}`, `/inj/get/${enc(key)}`, KEY),
    ),
    get('key %2e%2e%2f', '/inj/get/%2e%2e%2f', KEY),
    get('key 1%20OR%201=1', '/inj/get/1%20OR%201=1', KEY),
    get('key beyond 32 bits', '/inj/get/9223372036854775807', { postgres: KEY, mariadb: NOT_FOUND }),
    get('a key longer than the router allows', `/inj/get/${'1'.repeat(101)}`, refused('KIT_BAD_REQUEST')),
    get('select=secret', '/inj/get/1?select=secret', FILTER),
    get('select=*', '/inj/get/1?select=*', FILTER),
    get('select=email', '/inj/get/1?select=email', FILTER),
    get('select twice', '/inj/get/1?select=id&select=name', FILTER),
    get('a filter on get', '/inj/get/1?id=eq.2', FILTER),
    get('or on get', '/inj/get/1?or=1=1', FILTER),
    { ...get('select=user_id,name', '/inj/get/3?select=user_id,name', rows('u-003')), expect: { status: 200, row: { user_id: 'u-003', name: O_BRIEN } } },
  ];
}

function byUserCases(): CorpusCase[] {
  return [
    get('a valid key', '/inj/by-user/u-001', rows('u-001')),
    ...TEXTS.map((t) => get(`key u-001${t}`, `/inj/by-user/${enc(`u-001${t}`)}`, NOT_FOUND)),
    get('key %2e%2e%2f', '/inj/by-user/%2e%2e%2f', NOT_FOUND),
    get('key 1%20OR%201=1', '/inj/by-user/1%20OR%201=1', NOT_FOUND),
    get('key with slashes', `/inj/by-user/${enc('u-001/../../secrets')}`, NOT_FOUND),
    get('NUL in the key', '/inj/by-user/u-001%00', KEY),
    get('select=secret', '/inj/by-user/u-001?select=secret', FILTER),
  ];
}

function byNameCases(): CorpusCase[] {
  const q = (label: string, pairs: Array<[string, string]>, expect: CorpusCase['expect']) => get(label, `/inj/by-name${qs(...pairs)}`, expect);
  return [
    ...TEXTS.map((t) => q(`name=${t}`, [['name', t]], rows())),
    q('the stored injection text as a literal', [['name', O_BRIEN]], rows('u-003')),
    q('a fullwidth name as a literal', [['name', JOHN]], rows('u-004')),
    q('year=2001 (the OR in the definition)', [['name', 'nobody'], ['year', '2001']], rows('u-003')),
    ...['1 OR 1=1', '99999999999999999999999', '1e309', '-0x10', '2001; DROP TABLE residents', '１'].map((year) => q(`year=${year}`, [['name', 'x'], ['year', year]], PARAMETER)),
    q('year beyond 32 bits', [['name', 'x'], ['year', '9223372036854775807']], { postgres: PARAMETER, mariadb: rows() }),
    q('name=a&name=b', [['name', 'a'], ['name', 'b']], PARAMETER),
    q('an undeclared parameter', [['name', 'x'], ['secret', '1']], PARAMETER),
    q('a parameter name with a statement', [['name;drop table residents', 'x']], PARAMETER),
    q('select on a query', [['name', 'x'], ['select', 'secret']], PARAMETER),
    q('the required parameter missing', [['year', '1988']], PARAMETER),
    q('NUL in a value', [['name', 'a\u0000']], PARAMETER),
    q('an 8000-character value', [['name', LONG]], rows()),
    get('a key on a query', '/inj/by-name/1', NO_SERVICE),
  ];
}

function createCases(): CorpusCase[] {
  const post = (label: string, body: unknown, expect: CorpusCase['expect']): CorpusCase => ({ label, method: 'POST', path: '/inj/create', body, expect });
  const raw = (label: string, text: string, expect: CorpusCase['expect']): CorpusCase => ({ label, method: 'POST', path: '/inj/create', raw: text, expect });
  const stored = (body: Record<string, unknown>): Outcome => ({ status: 201, row: body });
  return [
    ...TEXTS.map((t, i) => post(`name ${t}`, { user_id: `inj-c${i}`, name: t }, stored({ user_id: `inj-c${i}`, name: t }))),
    post('a user_id that closes the values list', { user_id: "c', 'x'); DROP TABLE secrets; --", name: 'n' }, stored({ user_id: "c', 'x'); DROP TABLE secrets; --" })),
    post('a city with comments', { user_id: 'inj-city', name: 'n', city: "tokyo' /* */ # --" }, stored({ city: "tokyo' /* */ # --" })),
    post('an explicit null', { user_id: 'inj-null', name: 'n', city: null }, stored({ city: null })),
    post('an array for a string', { user_id: 'inj-x1', name: ['a', 'b'] }, BODY),
    post('an operator object for a string', { user_id: 'inj-x2', name: { $gt: '' } }, BODY),
    post('an object for an integer', { user_id: 'inj-x3', name: 'n', birth_year: { $ne: null } }, BODY),
    post('a column outside the definition', { user_id: 'inj-x4', name: 'n', secret: 'x' }, BODY),
    post('a column name with SQL', { user_id: 'inj-x5', name: 'n', 'name) values (1); --': 'x' }, BODY),
    post('a column that is not writable', { user_id: 'inj-x6', name: 'n', id: 999 }, BODY),
    post('e-mail (not in the definition)', { user_id: 'inj-x7', name: 'n', email: 'x@example.org' }, BODY),
    post('NUL in a value', { user_id: 'inj-x8', name: 'a\u0000b' }, BODY),
    post('a 70000-character value', { user_id: 'inj-x9', name: TOO_LONG }, BODY),
    raw('birth_year 1e309', '{"user_id":"inj-x10","name":"n","birth_year":1e309}', BODY),
    raw('birth_year 99999999999999999999999', '{"user_id":"inj-x11","name":"n","birth_year":99999999999999999999999}', BODY),
    post('birth_year "-0x10"', { user_id: 'inj-x12', name: 'n', birth_year: '-0x10' }, BODY),
    post('birth_year "1 OR 1=1"', { user_id: 'inj-x13', name: 'n', birth_year: '1 OR 1=1' }, BODY),
    // Valid for the type, refused by the column (numeric(12,2) / decimal(12,2)) in the database.
    raw('points 99999999999999999999999', '{"user_id":"inj-x14","name":"n","points":99999999999999999999999}', BODY),
    post('active "true"', { user_id: 'inj-x15', name: 'n', active: 'true' }, BODY),
    post('active 1', { user_id: 'inj-x16', name: 'n', active: 1 }, BODY),
    post('an array body', [{ user_id: 'inj-x17', name: 'n' }], BODY),
    raw('a JSON string body', JSON.stringify("' OR 1=1; DROP TABLE residents; --"), BODY),
    raw('__proto__ in the body', '{"user_id":"inj-x18","name":"n","__proto__":{"admin":true}}', MALFORMED),
    raw('not JSON', "{'user_id': 'x'}", MALFORMED),
    post('an empty object', {}, BODY),
  ];
}

function updateCases(ids: Record<'one' | 'two', number>): CorpusCase[] {
  const patch = (label: string, key: string, body: unknown, expect: CorpusCase['expect']): CorpusCase => ({ label, method: 'PATCH', path: `/inj/update/${key}`, body, expect });
  const one = String(ids.one);
  return [
    patch("name ' OR '1'='1", one, { name: "' OR '1'='1" }, { status: 200, row: { user_id: SCRATCH.one, name: "' OR '1'='1" } }),
    patch('a name that sets another column', one, { name: "x', city = 'hacked' WHERE 1=1; --" }, { status: 200, row: { name: "x', city = 'hacked' WHERE 1=1; --", city: null } }),
    patch('a city with a stacked statement', one, { city: "tokyo'; DROP TABLE residents; --" }, { status: 200, row: { city: "tokyo'; DROP TABLE residents; --" } }),
    patch('fullwidth look-alikes', one, { name: TEXTS[7] }, { status: 200, row: { name: TEXTS[7] } }),
    patch('an array', one, { name: ['a', 'b'] }, BODY),
    patch('an operator object', one, { name: { $gt: '' } }, BODY),
    patch('a column name with SQL', one, { "name = 'x', city": 'y' }, BODY),
    patch('a column that is not writable (user_id)', one, { user_id: 'u-001' }, BODY),
    patch('the key column', one, { id: 1 }, BODY),
    patch('e-mail (not in the definition)', one, { email: 'x@example.org' }, BODY),
    patch('an empty object', one, {}, BODY),
    patch('NUL in a value', one, { name: 'a\u0000' }, BODY),
    patch('birth_year "1e309"', one, { birth_year: '1e309' }, BODY),
    patch('active "false"', one, { active: 'false' }, BODY),
    ...['1 OR 1=1', '0) OR (1=1', "1' OR '1'='1", '1; DROP TABLE residents', '-0x10', '99999999999999999999999', '../'].map((key) => patch(`key ${JSON.stringify(key)}`, enc(key), { name: 'x' }, KEY)),
    patch('a key with no row', '999999', { name: 'x' }, NOT_FOUND),
  ];
}

function setCityCases(): CorpusCase[] {
  const post = (label: string, body: unknown, expect: CorpusCase['expect'], path = '/inj/set-city'): CorpusCase => ({ label, method: 'POST', path, body, expect });
  const changed = (n: number): Outcome => ({ status: 200, affected: n });
  return [
    post('a city with a stacked statement', { city: "x'; DELETE FROM secrets; --", userId: SCRATCH.one }, changed(1)),
    ...TEXTS.map((t) => post(`userId ${t}`, { city: 'x', userId: t }, changed(0))),
    post("userId scratch' OR '1'='1", { city: 'x', userId: `${SCRATCH.one}' OR '1'='1` }, changed(0)),
    post('an array', { city: ['a', 'b'], userId: SCRATCH.one }, PARAMETER),
    post('an operator object', { city: { $gt: '' }, userId: SCRATCH.one }, PARAMETER),
    post('userId {"$ne": null}', { city: 'x', userId: { $ne: null } }, PARAMETER),
    post('userId as an array', { city: 'x', userId: [SCRATCH.one, 'u-001'] }, PARAMETER),
    post('an undeclared parameter with SQL', { city: 'x', userId: SCRATCH.one, 'userId); DROP TABLE residents; --': 1 }, PARAMETER),
    post('parameters in the query string', { city: 'x', userId: SCRATCH.one }, PARAMETER, '/inj/set-city?city=y'),
    post('NUL in a value', { city: 'a\u0000b', userId: SCRATCH.one }, PARAMETER),
    post('a 70000-character value', { city: TOO_LONG, userId: SCRATCH.one }, PARAMETER),
    post('a null for a required parameter', { city: null, userId: SCRATCH.one }, PARAMETER),
    post('a required parameter missing', { city: 'x' }, PARAMETER),
    post('an array body', [{ city: 'x', userId: SCRATCH.one }], BODY),
    { label: '__proto__ in the body', method: 'POST', path: '/inj/set-city', raw: `{"city":"x","userId":"${SCRATCH.one}","__proto__":{"x":1}}`, expect: MALFORMED },
    post('fullwidth look-alikes as the value', { city: 'ｘ；ＤＲＯＰ　ＴＡＢＬＥ　ｒｅｓｉｄｅｎｔｓ', userId: SCRATCH.one }, changed(1)),
  ];
}

function deleteCases(ids: Record<'one' | 'two', number>): CorpusCase[] {
  const del = (label: string, key: string, expect: CorpusCase['expect']): CorpusCase => ({ label, method: 'DELETE', path: `/inj/delete/${key}`, expect });
  return [
    ...['1 OR 1=1', '1;DROP TABLE residents', "1' OR '1'='1", '1--', '1#', '1/**/', '../', '-0x10', '1e309', '99999999999999999999999', '1；', '１', '1\u0000', ` ${ids.two}`].map((key) => del(`key ${JSON.stringify(key)}`, enc(key), KEY)),
    del('key %2e%2e%2f', '%2e%2e%2f', KEY),
    del('key 1%20OR%201=1', '1%20OR%201=1', KEY),
    del('key beyond 32 bits', '9223372036854775807', { postgres: KEY, mariadb: NOT_FOUND }),
    del('a key with no row', '999999', NOT_FOUND),
    del('the scratch row', String(ids.two), { status: 204 }),
    del('the scratch row again', String(ids.two), NOT_FOUND),
  ];
}

export function corpus(op: Operation, ids: Record<'one' | 'two', number>): CorpusCase[] {
  switch (op) {
    case 'list':
      return listCases();
    case 'get':
      return getCases();
    case 'by-user':
      return byUserCases();
    case 'by-name':
      return byNameCases();
    case 'create':
      return createCases();
    case 'update':
      return updateCases(ids);
    case 'set-city':
      return setCityCases();
    case 'delete':
      return deleteCases(ids);
  }
}
