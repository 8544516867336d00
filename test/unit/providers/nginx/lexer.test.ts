import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ParseError } from '../../../../src/errors.js';
import { type NginxDirective, parseNginx, parseNginxDump, splitNginxDump } from '../../../../src/providers/nginx/lexer.js';
import { rng } from '../../../helpers/rng.js';

const TEMPLATE = 'template syntax (Jinja/ERB/Go template) is not nginx; render the template first';

const parse = (text: string): NginxDirective[] => parseNginx(text, 'test.conf');

/** Runs fn and returns the ParseError it throws; fails the test on success or any other error. */
function parseError(fn: () => unknown): ParseError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ParseError) return err;
    throw new Error(`expected ParseError, got ${String(err)}`);
  }
  throw new Error('expected ParseError, but parsing succeeded');
}

/** Compact view of a tree: [name, args, line, children?]. */
type Shape = [string, string[], number, Shape[]?];
const shape = (ds: NginxDirective[]): Shape[] =>
  ds.map((d) => (d.block ? [d.name, d.args, d.line, shape(d.block)] : [d.name, d.args, d.line]));

const find = (ds: NginxDirective[] | undefined, name: string): NginxDirective[] => (ds ?? []).filter((d) => d.name === name);

describe('parseNginx: tokens', () => {
  it('splits simple directives on whitespace (space, tab, CR, LF) and records origin', () => {
    const ds = parse('worker_processes\tauto;\r\nuser  www-data  www-data ;\n');
    expect(ds).toEqual([
      { name: 'worker_processes', args: ['auto'], line: 1, file: 'test.conf' },
      { name: 'user', args: ['www-data', 'www-data'], line: 2, file: 'test.conf' },
    ]);
  });

  it('parses nested blocks with 1-based lines of nested directives', () => {
    const ds = parse('http {\n  upstream app {\n    server 10.0.0.1:80 weight=2;\n\n    server 10.0.0.2:80;\n  }\n  server\n  {\n    listen 80; location / {}\n  }\n}\n');
    expect(shape(ds)).toEqual([
      ['http', [], 1, [
        ['upstream', ['app'], 2, [
          ['server', ['10.0.0.1:80', 'weight=2'], 3],
          ['server', ['10.0.0.2:80'], 5],
        ]],
        ['server', [], 7, [
          ['listen', ['80'], 9],
          ['location', ['/'], 9, []],
        ]],
      ]],
    ]);
    expect(ds[0]?.block?.[0]?.file).toBe('test.conf');
  });

  it('keeps `block` on empty blocks and omits it on simple directives', () => {
    const [events, user] = parse('events {}\nuser nobody;');
    expect(events?.block).toEqual([]);
    expect(user && 'block' in user).toBe(false);
  });

  it('handles blocks glued to words and several directives on one line', () => {
    expect(shape(parse('location /foo{}location /bar{}a 1;b 2;'))).toEqual([
      ['location', ['/foo'], 1, []],
      ['location', ['/bar'], 1, []],
      ['a', ['1'], 1],
      ['b', ['2'], 1],
    ]);
    expect(shape(parse('http{server{listen 80;}}'))).toEqual([['http', [], 1, [['server', [], 1, [['listen', ['80'], 1]]]]]]);
  });

  it('removes double and single quotes; quoted values may contain ; { } # and whitespace', () => {
    const [d] = parse(`add_header X "max-age=1; includeSubDomains" '{a} #b';`);
    expect(d?.args).toEqual(['X', 'max-age=1; includeSubDomains', '{a} #b']);
  });

  it('accepts empty quoted strings and a quoted directive name', () => {
    expect(shape(parse(`"proxy_set_header" Proxy "";\nmap $a $b { '' x; }`))).toEqual([
      ['proxy_set_header', ['Proxy', ''], 1],
      ['map', ['$a', '$b'], 2, [['', ['x'], 2]]],
    ]);
  });

  it('lets a quoted string span lines; lines after it stay correct', () => {
    const ds = parse('log_format main \'a\n  b\';\nx 1;');
    expect(ds[0]?.args).toEqual(['main', 'a\n  b']);
    expect(ds[1]?.line).toBe(3);
  });

  it('does not close a block on a quoted right brace', () => {
    const ds = parse("http {\n  log_format j '{' \"}\"\n  '}';\n}\n");
    expect(shape(ds)).toEqual([['http', [], 1, [['log_format', ['j', '{', '}', '}'], 2]]]]);
  });

  it('resolves escapes like nginx: \\" \\\' \\\\ \\n \\t \\r; other backslashes stay', () => {
    const [d] = parse(String.raw`return 200 "a\"b\'c\\d\ne\tf\rg \. \d \$x";`);
    expect(d?.args).toEqual(['200', 'a"b\'c\\d\ne\tf\rg \\. \\d \\$x']);
    const [q] = parse(String.raw`x 'it\'s' \"bare\";`);
    expect(q?.args).toEqual(["it's", '"bare"']);
    const [r] = parse(String.raw`location ~ ^/(.+)\.php$ {}`);
    expect(r?.args).toEqual(['~', String.raw`^/(.+)\.php$`]);
  });

  it('lets a backslash escape a separator inside an unquoted word', () => {
    const [d] = parse(String.raw`location /\{\;\}\ #\ a {}`);
    expect(d?.args).toEqual([String.raw`/\{\;\}\ #\ a`]);
    expect(d?.block).toEqual([]);
  });

  it('treats # as a comment only at the start of a token', () => {
    const ds = parse('# top\nlisten 80;#c\nserver_name a#b c;  # trailing ; { }\n"http" {#glued\n}\n');
    expect(shape(ds)).toEqual([
      ['listen', ['80'], 2],
      ['server_name', ['a#b', 'c'], 3],
      ['http', [], 4, []],
    ]);
  });

  it('allows a comment between arguments', () => {
    expect(parse('gzip_types text/css # css\n  text/xml;')[0]?.args).toEqual(['text/css', 'text/xml']);
  });

  it('keeps quotes that do not start a token as plain characters', () => {
    expect(parse('x a"b c";')[0]?.args).toEqual(['a"b', 'c"']);
  });

  it('treats } inside an unquoted word as text, like nginx', () => {
    expect(parse('x a}b;')[0]?.args).toEqual(['a}b']);
  });

  it('keeps ${var} inside one token instead of opening a block', () => {
    expect(parse('return 200 ${foo};')[0]?.args).toEqual(['200', '${foo}']);
    expect(parse('try_files /abc/${uri} /abc/${uri}.html =404 ;')[0]?.args).toEqual(['/abc/${uri}', '/abc/${uri}.html', '=404']);
    expect(shape(parse('set $a ${b}{}'))).toEqual([['set', ['$a', '${b}'], 1, []]]);
  });

  it('accepts `)` right after a closing quote (if conditions)', () => {
    const [d] = parse('if ($host = "a.example")  { return 404; }');
    expect(d?.args).toEqual(['($host', '=', 'a.example', ')']);
  });

  it('handles non-ASCII and CRLF input', () => {
    expect(shape(parse('# π comment\r\nserver_name bücher.example;\r\n'))).toEqual([['server_name', ['bücher.example'], 2]]);
  });

  it('returns [] for empty or comment-only input', () => {
    expect(parse('')).toEqual([]);
    expect(parse('  \n# only a comment')).toEqual([]);
  });
});

describe('parseNginx: *_by_lua_block', () => {
  it('stores the raw Lua body and an empty block', () => {
    const ds = parse('http {\n  content_by_lua_block {\n    ngx.say("}")  -- a } in a comment\n  }\n  listen 80;\n}');
    const lua = ds[0]?.block?.[0];
    expect(lua).toMatchObject({ name: 'content_by_lua_block', args: [], line: 2, block: [] });
    expect(lua?.raw).toBe('\n    ngx.say("}")  -- a } in a comment\n  ');
    expect(ds[0]?.block?.[1]).toMatchObject({ name: 'listen', line: 5 });
  });

  it('balances Lua table braces and keeps args before the brace', () => {
    const [d] = parse('set_by_lua_block $res { local t = { {1}, {2} } return #t }');
    expect(d?.args).toEqual(['$res']);
    expect(d?.raw).toBe(' local t = { {1}, {2} } return #t ');
  });

  it('skips Lua strings with escapes, long brackets and long comments', () => {
    const body = String.raw` local a = "\"}" local b = '\'{' local c = [[ } ]] local d = [==[ ]] } ]==]
      --[[ } multi
      line ]] --[=[ { ]=] x = 1 `;
    const ds = parse(`access_by_lua_block {${body}}\nnext_directive;`);
    expect(ds[0]?.raw).toBe(body);
    expect(ds[1]).toMatchObject({ name: 'next_directive', line: 4 });
  });

  it('accepts a quoted directive name and a name used as a plain argument or block name', () => {
    const ds = parse('server_name content_by_lua_block ;\n"rewrite_by_lua_block" { f({title="ok"}) }\nupstream content_by_lua_block {\n  # stuff\n}\n');
    expect(shape(ds)).toEqual([
      ['server_name', ['content_by_lua_block'], 1],
      ['rewrite_by_lua_block', [], 2, []],
      ['upstream', ['content_by_lua_block'], 3, []],
    ]);
    expect(ds[1]?.raw).toBe(' f({title="ok"}) ');
    expect(ds[2]?.raw).toBeUndefined();
  });

  it('does not treat Lua text as nginx template syntax', () => {
    expect(parse('content_by_lua_block { local t = {{1}} -- <% %> \n}')[0]?.raw).toContain('{{1}}');
  });

  it('reports an unclosed Lua block at its opening line and unterminated Lua strings at theirs', () => {
    expect(parseError(() => parse('http {\n content_by_lua_block {\n  f()\n'))).toMatchObject({ line: 2 });
    expect(parseError(() => parse('content_by_lua_block {\n  x = "abc\n}\n'))).toMatchObject({ line: 2 });
    expect(parseError(() => parse('content_by_lua_block {\n\n  x = [==[ abc ]] }\n'))).toMatchObject({ line: 3 });
  });
});

describe('parseNginx: errors', () => {
  const cases: [string, string, number, string][] = [
    ['unexpected } at top level', 'a 1;\n}\n', 2, "unexpected '}'"],
    ['unclosed block (line of the {)', 'http {\n  server {\n    listen 80;\n  }\n', 1, "unexpected end of file, expecting '}'"],
    ['unclosed nested block', 'http {\n  server {\n  }\n  location / {\n\n', 4, "expecting '}'"],
    ['missing ; before }', 'http {\n  listen 80\n}\n', 3, "unexpected '}'"],
    ['missing ; at EOF', 'user nobody;\nworker_processes 1', 2, "unexpected end of file, expecting ';' or '}'"],
    ['value ends in } (a word, like nginx)', 'events { worker_connections 10}', 1, "unexpected end of file, expecting ';' or '}'"],
    ['unterminated double quote', 'a 1;\nreturn 200 "abc;\n}\n', 2, 'unterminated double-quoted string'],
    ['unterminated single quote', "x '\n\n", 1, 'unterminated single-quoted string'],
    ['{ without directive name', 'http {\n  { a; }\n}', 2, "unexpected '{'"],
    ['; without directive', 'a 1;\n ;', 2, "unexpected ';'"],
    ['text glued after a closing quote', 'x "a"b;', 1, 'unexpected "b"'],
    ['stray character after final }', 'http {\n}π', 2, "unexpected end of file, expecting ';' or '}'"],
    ['Jinja statement', 'user x;\n{%- if a %}\n', 2, TEMPLATE],
    ['Jinja/Go expression as argument', 'upstream {{ name }}-app {\n}', 1, TEMPLATE],
    ['Go template inside a regex', 'a 1;\nlocation ~ ^/x/({{ .Re }})/ {}', 2, TEMPLATE],
    ['ERB tag', 'a 1;\n\n  ssl_ciphers <%= node[:c] -%>;', 3, TEMPLATE],
    ['ERB glued to a word', 'keys_zone=<%= @zone %>;', 1, TEMPLATE],
  ];
  it.each(cases)('%s', (_name, text, line, detail) => {
    const err = parseError(() => parse(text));
    expect(err.line).toBe(line);
    expect(err.origin).toBe('test.conf');
    expect(err.detail).toContain(detail);
    expect(err.message.startsWith(`test.conf:${line}: `)).toBe(true);
  });

  it('does not treat templates inside quotes or comments, or `{#`, as templates', () => {
    expect(parse(`x '{{ a }}' "<% b %>"; # {{ c }} <% d %>\ny {# not jinja\n}`)).toHaveLength(2);
  });

  it('never quotes more than 40 characters of one token, nor whole lines', () => {
    const secret = `password-${'s'.repeat(100)}`;
    const err = parseError(() => parse(`auth_basic_user_file other-token-on-the-line ${secret}`));
    expect(err.message).not.toContain('other-token-on-the-line');
    expect(err.message).not.toContain('s'.repeat(40));
    const err2 = parseError(() => parse(`${secret} x`));
    expect(err2.detail).toContain(secret.slice(0, 40));
    expect(err2.detail).not.toContain(secret.slice(0, 41));
    const err3 = parseError(() => parse('auth "hunter2-secret"x;'));
    expect(err3.message).toBe('test.conf:1: unexpected "x" after a closing quote');
  });

  it('allows 100 nested blocks and rejects 101', () => {
    const nest = (n: number): string => `${'b {\n'.repeat(n)}x;\n${'}\n'.repeat(n)}`;
    expect(parse(nest(100))).toHaveLength(1);
    const err = parseError(() => parse(nest(101)));
    expect(err.line).toBe(101);
    expect(err.detail).toContain('deeper than 100');
  });

  it('rejects input larger than 20 MB at line 1 without scanning it', () => {
    const err = parseError(() => parse(`a ${'x'.repeat(20 * 1024 * 1024)};`));
    expect(err.line).toBe(1);
    expect(err.detail).toContain('20 MB');
    // 20 MB of UTF-8 bytes, not characters: 7M three-byte characters is over the limit.
    expect(parseError(() => parse(`a ${'€'.repeat(7_000_000)};`)).line).toBe(1);
  });

  it('stays linear on pathological input', () => {
    const inputs = [
      `x ${'${'.repeat(500_000)};`,
      `x ${'\\'.repeat(1_000_001)}`,
      `${'"a" '.repeat(200_000)};`,
      `${'#'.repeat(1_000_000)}\n`,
      `content_by_lua_block { ${'--[[a]]'.repeat(200_000)} }`,
      `content_by_lua_block { ${'[='.repeat(500_000)} }`,
      `content_by_lua_block { ${'{'.repeat(500_000)}${'}'.repeat(500_000)} }`,
      `${'a{'.repeat(100)}${'}'.repeat(100)}${'x;'.repeat(300_000)}`,
    ];
    const started = performance.now();
    for (const text of inputs) {
      try {
        parse(text);
      } catch (err) {
        expect(err).toBeInstanceOf(ParseError);
      }
    }
    expect(performance.now() - started).toBeLessThan(3000);
  });
});

const corpusDir = join(import.meta.dirname, '../../../../../shared/corpus/nginx');
const corpusExists = existsSync(corpusDir);
const corpusFiles = corpusExists ? readdirSync(corpusDir).filter((f) => f.endsWith('.conf')).sort() : [];
const readCorpus = (name: string): string => readFileSync(join(corpusDir, name), 'utf8');
const parseCorpus = (name: string): NginxDirective[] => parseNginx(readCorpus(name), name);

describe('parseNginx: shared corpus', () => {
  it.skipIf(!corpusExists)('corpus folder ../shared/corpus/nginx is present (otherwise corpus cases are skipped)', () => {
    expect(corpusFiles.length).toBeGreaterThan(0);
  });

  it.skipIf(!corpusExists)('every corpus file parses or throws ParseError with a line >= 1', () => {
    for (const name of corpusFiles) {
      try {
        expect(Array.isArray(parseCorpus(name)), name).toBe(true);
      } catch (err) {
        expect(err, name).toBeInstanceOf(ParseError);
        expect((err as ParseError).line, name).toBeGreaterThanOrEqual(1);
      }
    }
  });

  const templates = corpusFiles.filter((f) => /^(09-template-frappe-|10-template-openstreetmap-chef-erb\.conf|24-template-jitsi-meet-gomplate\.conf)/.test(f));
  it.skipIf(!corpusExists)('finds all three template files', () => expect(templates).toHaveLength(3));
  it.skipIf(!corpusExists).each(templates)('rejects template %s at its first template tag', (name) => {
    const text = readCorpus(name);
    const firstTagLine = text.split('\n').findIndex((l) => /\{\{|\{%|<%/.test(l)) + 1;
    const err = parseError(() => parseNginx(text, name));
    expect(err.detail).toBe(TEMPLATE);
    expect(err.line).toBe(firstTagLine);
    expect(err.line).toBeGreaterThanOrEqual(1);
  });

  it.skipIf(!corpusExists)('rejects 18-guogang-stream-mysql-hash.conf (stray `}π`) at its last line', () => {
    const text = readCorpus('18-guogang-stream-mysql-hash.conf');
    const err = parseError(() => parseNginx(text, '18.conf'));
    expect(err.line).toBe(text.split('\n').length);
    expect(err.detail).toContain("unexpected end of file, expecting ';' or '}'");
  });

  const mustParse = [
    '01-mastodon-dist.conf',
    '05-crossplane-messy.conf',
    '06-crossplane-lua-block-larger.conf',
    '20-crossplane-quoted-right-brace.conf',
    '21-discourse-sample.conf',
    '25-crossplane-lua-block-tricky.conf',
  ];
  it.skipIf(!corpusExists).each(mustParse)('parses %s', (name) => {
    expect(parseCorpus(name).length).toBeGreaterThan(0);
  });

  it.skipIf(!corpusExists)('01-mastodon: upstreams, map with empty key, quoted value with semicolons', () => {
    const ds = parseCorpus('01-mastodon-dist.conf');
    expect(shape(find(ds, 'upstream'))).toEqual([
      ['upstream', ['backend'], 6, [['server', ['127.0.0.1:3000', 'fail_timeout=0'], 7]]],
      ['upstream', ['streaming'], 10, [['server', ['127.0.0.1:4000', 'fail_timeout=0'], 11]]],
    ]);
    expect(find(find(ds, 'map')[0]?.block, '')[0]).toMatchObject({ args: ['close'], line: 3 });
    const streaming = find(find(ds, 'server')[1]?.block, 'location').find((d) => d.args[1] === '/api/v1/streaming');
    expect(streaming).toMatchObject({ args: ['^~', '/api/v1/streaming'], line: 127 });
    expect(find(streaming?.block, 'proxy_set_header').find((d) => d.args[0] === 'Proxy')?.args).toEqual(['Proxy', '']);
    expect(find(streaming?.block, 'add_header')[0]).toMatchObject({
      args: ['Strict-Transport-Security', 'max-age=63072000; includeSubDomains'],
      line: 141,
    });
  });

  it.skipIf(!corpusExists)('21-discourse: upstream over four unix sockets and the one-line log_format', () => {
    const ds = parseCorpus('21-discourse-sample.conf');
    const up = find(ds, 'upstream')[0];
    expect(up).toMatchObject({ args: ['discourse'], line: 6 });
    expect(up?.block?.map((s) => [s.args[0], s.line])).toEqual([0, 1, 2, 3].map((n) => [`unix:/var/www/discourse/tmp/sockets/thin.${n}.sock`, 7 + n]));
    expect(find(ds, 'log_format')[0]).toMatchObject({ line: 28, args: ['log_discourse', expect.stringContaining('"$request"')] });
  });

  it.skipIf(!corpusExists)('20-crossplane: the quoted right brace is the last log_format fragment', () => {
    const ds = parseCorpus('20-crossplane-quoted-right-brace.conf');
    expect(shape(ds).map((d) => d[0])).toEqual(['events', 'http']);
    const lf = ds[1]?.block?.[0];
    expect(lf).toMatchObject({ name: 'log_format', line: 3 });
    expect(lf?.args).toHaveLength(14); // main, escape=json and 12 quoted fragments
    expect(lf?.args.at(-1)).toBe('}');
  });

  it.skipIf(!corpusExists)('06 and 25: Lua bodies are raw text', () => {
    const http = parseCorpus('06-crossplane-lua-block-larger.conf')[0];
    expect(http?.block?.map((d) => [d.name, d.line])).toEqual([['content_by_lua_block', 2], ['access_by_lua_block', 19]]);
    expect(http?.block?.[1]?.raw).toContain('return ngx.redirect("/terms_of_use.html")');
    const server = parseCorpus('25-crossplane-lua-block-tricky.conf')[0]?.block?.[0];
    expect(server?.block?.map((d) => [d.name, d.args, d.line])).toEqual([
      ['listen', ['127.0.0.1:8080'], 3],
      ['server_name', ['content_by_lua_block'], 4],
      ['set_by_lua_block', ['$res'], 5],
      ['rewrite_by_lua_block', [], 12],
    ]);
    expect(server?.block?.[3]?.raw).toContain('btn = iup.button({title="ok"})');
  });

  it.skipIf(!corpusExists)('05-crossplane-messy: quoted names, escapes, multi-line quoted location, `}}`', () => {
    const http = find(parseCorpus('05-crossplane-messy.conf'), 'http')[0];
    const servers = find(http?.block, 'server');
    expect(servers.map((s) => s.line)).toEqual([8, 12, 24]);
    const locations = find(servers[1]?.block, 'location');
    expect(locations.map((l) => l.args)).toEqual([
      ['~', '/hello/world;'],
      ['/foo'],
      ['/bar'],
      [String.raw`/\{\;\}\ #\ ab"c"###s`],
      ['/status.html'],
      ['/sta;\n                    tus'],
      ['/upstream_conf'],
    ]);
    expect(servers[0]?.block?.[1]?.args[1]).toMatch(/^Ser" ' ' ver\\ \\ \$server_addr/);
  });
});


const FUZZ_SAMPLES = [
  'http {\n  upstream a { server 10.0.0.1:80 weight=2; server unix:/tmp/s.sock down; }\n  server { listen 80; location ~ \\.php$ { return 200 "a;b}"; } }\n}\n',
  "map $a $b { '' x; default \"y\"; }\nlog_format j '{' '\"k\": \"$v\"' '}';\n# comment { ;\nset $x ${y};\n",
  'content_by_lua_block { local t = {1, "}"} -- }\n  s = [[ { ]] --[==[ } ]==] }\nif ($a = "b") { return 404; }\n',
];

describe('parseNginx: mutation fuzz', () => {
  it('survives ~20,000 random mutations: returns an array or throws ParseError, nothing else', () => {
    const SEED = 0x5eed2024;
    const rand = rng(SEED);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
    const sources = corpusExists ? corpusFiles.map(readCorpus) : FUZZ_SAMPLES;
    const alphabet = ['"', "'", '{', '}', ';', '#', '\\', '\n', '\r', '$', ' ', '[', ']', '-', '=', '<', '%', 'π', '\u0000', '\uffff', '\ud83d', 'a', '_by_lua_block'];
    const failures: string[] = [];
    let mutations = 0;
    for (let i = 0; mutations < 20_000; i++) {
      let text = pick(sources);
      const count = 1 + Math.floor(rand() * 3);
      for (let m = 0; m < count; m++, mutations++) {
        const at = Math.floor(rand() * (text.length + 1));
        const op = rand();
        if (op < 0.35) text = text.slice(0, at) + text.slice(at + 1 + Math.floor(rand() * 3));
        else if (op < 0.75) text = text.slice(0, at) + pick(alphabet) + text.slice(at);
        else {
          const len = 1 + Math.floor(rand() * 8);
          text = text.slice(0, at) + text.slice(at, at + len).repeat(2) + text.slice(at + len);
        }
      }
      try {
        if (!Array.isArray(parseNginx(text, 'fuzz.conf'))) failures.push(`seed ${SEED} case ${i}: result is not an array`);
      } catch (err) {
        if (!(err instanceof ParseError) || !(err.line && err.line >= 1)) {
          failures.push(`seed ${SEED} case ${i}: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`);
        }
      }
      if (failures.length >= 5) break;
    }
    expect(failures).toEqual([]);
    expect(mutations).toBeGreaterThanOrEqual(20_000);
  });

  it('survives random strings over a hostile alphabet', () => {
    const rand = rng(42);
    const chars = '"\'{};#\\\n $ab[]-=<%π';
    for (let i = 0; i < 2000; i++) {
      let text = '';
      const len = Math.floor(rand() * 80);
      for (let k = 0; k < len; k++) text += chars.charAt(Math.floor(rand() * chars.length));
      try {
        parseNginx(text, 'rand.conf');
      } catch (err) {
        expect(err, `seed 42 case ${i}: ${JSON.stringify(text)}`).toBeInstanceOf(ParseError);
      }
    }
  });
});

const DUMP = [
  'nginx: the configuration file /etc/nginx/nginx.conf syntax is ok',
  'nginx: configuration file /etc/nginx/nginx.conf test is successful',
  '# configuration file /etc/nginx/nginx.conf:',
  'user www-data;',
  'worker_processes auto;',
  '',
  'events {',
  '\tworker_connections 768;',
  '}',
  '',
  'http {',
  '\tsendfile on;',
  '\tinclude /etc/nginx/conf.d/*.conf;',
  '}',
  '',
  '# configuration file /etc/nginx/conf.d/api.conf:',
  '# API pool',
  'upstream api_backend {',
  '    server 10.0.0.11:8080 weight=3;',
  '    server 10.0.0.12:8080 max_fails=2 fail_timeout=10s;',
  '}',
  '',
  '# configuration file /etc/nginx/conf.d/site.conf:',
  'server {',
  '    listen 80;',
  '    location / { proxy_pass http://api_backend; }',
  '}',
  '',
  '',
].join('\n');

describe('nginx -T dumps', () => {
  it('splits files, dropping the preamble and the LF nginx appends after each file', () => {
    const parts = splitNginxDump(DUMP);
    expect(parts.map((p) => [p.file, p.startLine])).toEqual([
      ['/etc/nginx/nginx.conf', 4],
      ['/etc/nginx/conf.d/api.conf', 17],
      ['/etc/nginx/conf.d/site.conf', 24],
    ]);
    expect(parts[0]?.text).toBe('user www-data;\nworker_processes auto;\n\nevents {\n\tworker_connections 768;\n}\n\nhttp {\n\tsendfile on;\n\tinclude /etc/nginx/conf.d/*.conf;\n}\n');
    expect(parts[2]?.text).toBe('server {\n    listen 80;\n    location / { proxy_pass http://api_backend; }\n}\n');
  });

  it('parses every file with its own name and file-relative lines; main is the first file', () => {
    const { main, files } = parseNginxDump(DUMP);
    expect([...files.keys()]).toEqual(['/etc/nginx/nginx.conf', '/etc/nginx/conf.d/api.conf', '/etc/nginx/conf.d/site.conf']);
    expect(main).toBe(files.get('/etc/nginx/nginx.conf'));
    const include = find(find(main, 'http')[0]?.block, 'include')[0];
    expect(include).toEqual({ name: 'include', args: ['/etc/nginx/conf.d/*.conf'], line: 10, file: '/etc/nginx/nginx.conf' });
    expect(shape(files.get('/etc/nginx/conf.d/api.conf') ?? [])).toEqual([
      ['upstream', ['api_backend'], 2, [
        ['server', ['10.0.0.11:8080', 'weight=3'], 3],
        ['server', ['10.0.0.12:8080', 'max_fails=2', 'fail_timeout=10s'], 4],
      ]],
    ]);
    const site = files.get('/etc/nginx/conf.d/site.conf')?.[0];
    expect(site).toMatchObject({ name: 'server', line: 1, file: '/etc/nginx/conf.d/site.conf' });
    expect(site?.block?.[1]?.block?.[0]).toMatchObject({ name: 'proxy_pass', line: 3, file: '/etc/nginx/conf.d/site.conf' });
  });

  it('reports errors in an included file with that file name and its own line', () => {
    const broken = DUMP.replace('http://api_backend;', 'http://api_backend');
    const err = parseError(() => parseNginxDump(broken));
    expect(err.origin).toBe('/etc/nginx/conf.d/site.conf');
    expect(err.line).toBe(3);
  });

  it('handles CRLF headers, a last file without trailing newline and a file dumped twice', () => {
    const dump = '# configuration file /a.conf:\r\nx 1;\r\n\n# configuration file /b.conf:\ny 2;\n# configuration file /a.conf:\nz 3;';
    const parts = splitNginxDump(dump);
    expect(parts.map((p) => [p.file, p.text, p.startLine])).toEqual([
      ['/a.conf', 'x 1;\r\n', 2],
      ['/b.conf', 'y 2;', 5],
      ['/a.conf', 'z 3;', 7],
    ]);
    const { main, files } = parseNginxDump(dump);
    expect(main[0]?.name).toBe('x');
    expect(files.size).toBe(2);
  });

  it('rejects output without any file header', () => {
    expect(splitNginxDump('nginx: configuration file /etc/nginx/nginx.conf test failed\n')).toEqual([]);
    expect(parseError(() => parseNginxDump('user nobody;\n')).detail).toContain('nginx -T');
  });
});
