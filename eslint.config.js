// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// `no-restricted-syntax` and `no-restricted-imports` take one option list per file: a later config block that sets
// them replaces an earlier one's list. So the lists are built here and every block repeats the ones it inherits.

const NO_RAW_HTML = [
  {
    selector: "JSXAttribute[name.name='dangerouslySetInnerHTML']",
    message: 'No raw HTML: views render text and elements only, which Preact escapes. Build the markup as JSX.',
  },
];

const SQL_MESSAGE = 'SQL lives in *.repository.ts (ARCHITECTURE.md): call a repository function instead.';
/** Kysely query builders and raw SQL: only repositories and src/db (connection, migrations, statements) write SQL. */
const NO_SQL = [
  {
    selector:
      "CallExpression[callee.type='MemberExpression'][callee.property.name=/^(selectFrom|selectNoFrom|insertInto|replaceInto|updateTable|deleteFrom|mergeInto|with|withRecursive)$/]",
    message: SQL_MESSAGE,
  },
  { selector: "TaggedTemplateExpression[tag.name='sql']", message: SQL_MESSAGE },
  { selector: "ImportDeclaration[source.value='kysely'] > ImportSpecifier[imported.name='sql']", message: SQL_MESSAGE },
];
/** The only files that may hold SQL (NO_SQL applies to the rest of src/). */
const REPOSITORIES = ['src/**/*.repository.ts', 'src/db/**'];
/** Routes and views do not run transactions either: one service call does the work. */
const NO_TRANSACTION = [
  {
    selector: "CallExpression[callee.type='MemberExpression'][callee.property.name='transaction']",
    message: 'Transactions belong in a service or repository (ARCHITECTURE.md), not in a route or view.',
  },
];
/** The route shape every feature follows (ARCHITECTURE.md). */
const ROUTE_SHAPE = [
  {
    selector:
      "TSAsExpression[expression.type='MemberExpression'][expression.object.name='request'][expression.property.name='user']",
    message: 'Use requireUser(request) from src/http/request-user.ts instead of casting request.user.',
  },
  {
    selector:
      "TSNonNullExpression[expression.type='MemberExpression'][expression.object.name='request'][expression.property.name='user']",
    message: 'Use requireUser(request) from src/http/request-user.ts instead of asserting request.user.',
  },
  {
    selector: "CallExpression[callee.type='MemberExpression'][callee.property.name='callNotFound']",
    message:
      'Throw notFound() from src/lib/errors.ts (in the preHandler that loads the subject) instead of reply.callNotFound().',
  },
];

/**
 * Layers import downward only (ARCHITECTURE.md): lib → db → audit, http, views → mail → plugins → jobs → features.
 * Each layer lists the folders it may not import; none of them imports src/features.
 */
const LAYERS = {
  lib: ['db', 'audit', 'http', 'views', 'mail', 'plugins', 'jobs', 'features'],
  db: ['audit', 'http', 'views', 'mail', 'plugins', 'jobs', 'features'],
  audit: ['http', 'views', 'mail', 'plugins', 'jobs', 'features'],
  http: ['audit', 'views', 'mail', 'plugins', 'jobs', 'features'],
  views: ['audit', 'http', 'mail', 'plugins', 'jobs', 'features'],
  mail: ['http', 'plugins', 'jobs', 'features'],
  plugins: ['jobs', 'features'],
  jobs: ['features'],
};
/** @param {string} layer @param {string[]} forbidden */
function layerImports(layer, forbidden) {
  return {
    patterns: [
      {
        regex: `^\\.{1,2}/(?:.*/)?(?:${forbidden.join('|')})/`,
        message: `src/${layer} imports only the layers below it (ARCHITECTURE.md: ${forbidden.join(', ')} are above or beside it). Pass what it needs in, or move the shared code down.`,
      },
    ],
  };
}
/** A feature may use another feature's services, repositories and policies, never its routes. */
const FEATURE_IMPORTS = {
  patterns: [
    {
      regex: '^\\.\\./.*\\.routes(\\.ts)?$',
      message:
        "A feature never imports another feature's *.routes.ts: move the shared part into a service, view or src/http.",
    },
  ],
};

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      'dist/',
      'data/',
      'public/js/vendor/',
      'test-results/',
      'bench/results*.json',
      'bench/.scratch/',
      'bench/.data*/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['eslint.config.js', 'public/js/*.js'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      // Fastify hooks and handlers are async by contract even when they do not await.
      '@typescript-eslint/require-await': 'off',
      curly: ['error', 'all'],
      eqeqeq: ['error', 'always'],
      '@typescript-eslint/no-floating-promises': [
        'error',
        // node:test's describe/test return promises the runner itself awaits.
        {
          allowForKnownSafeCalls: [
            { from: 'package', name: ['describe', 'test', 'it', 'suite'], package: 'node:test' },
          ],
        },
      ],
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': ['error', ...NO_RAW_HTML],
    },
  },
  ...Object.entries(LAYERS).map(([layer, forbidden]) => ({
    files: [`src/${layer}/**`],
    rules: { 'no-restricted-imports': ['error', layerImports(layer, forbidden)] },
  })),
  {
    // SQL only in repositories and in src/db (connection, migrations, statements).
    files: ['src/**'],
    ignores: REPOSITORIES,
    rules: { 'no-restricted-syntax': ['error', ...NO_RAW_HTML, ...NO_SQL] },
  },
  {
    files: ['src/features/**'],
    ignores: REPOSITORIES,
    rules: {
      'no-restricted-imports': ['error', FEATURE_IMPORTS],
      'no-restricted-syntax': ['error', ...NO_RAW_HTML, ...ROUTE_SHAPE, ...NO_SQL],
    },
  },
  {
    files: ['src/features/**/*.repository.ts'],
    rules: {
      'no-restricted-imports': ['error', FEATURE_IMPORTS],
      'no-restricted-syntax': ['error', ...NO_RAW_HTML, ...ROUTE_SHAPE],
    },
  },
  {
    files: ['src/**/*.service.ts'],
    rules: { 'no-restricted-syntax': ['error', ...NO_RAW_HTML, ...ROUTE_SHAPE, ...NO_SQL] },
  },
  {
    files: ['src/**/*.routes.ts', 'src/**/*.views.tsx', 'src/views/**'],
    rules: { 'no-restricted-syntax': ['error', ...NO_RAW_HTML, ...ROUTE_SHAPE, ...NO_SQL, ...NO_TRANSACTION] },
  },
  {
    files: ['test/**/*.ts'],
    // Tests swap collaborators' methods (e.g. to count hash verifications) and restore them.
    rules: { '@typescript-eslint/unbound-method': 'off' },
  },
  {
    files: ['public/js/**/*.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { globals: { document: 'readonly', window: 'readonly' } },
  },
);
