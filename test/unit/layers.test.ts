/**
 * The folder is the layer (DESIGN.md, README "Layout"): domain ← workflows; domain ← infra ← templates, activities,
 * capture ← api ← app, ops. This walks every source file outside test/ (subfolders and migrations included), reads
 * its imports, and fails on an edge the rule does not allow and on any import cycle, type-only ones included. Workflows
 * are held tighter still: they run in Temporal's deterministic sandbox, so they load nothing but the workflow API and
 * the pure domain at run time.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../../infra/paths';

const LAYERS = ['domain', 'workflows', 'infra', 'templates', 'activities', 'capture', 'api', 'app', 'ops'] as const;
type Layer = (typeof LAYERS)[number];

/** What each layer may import at run time, besides itself. */
const MAY_IMPORT: Record<Layer, readonly Layer[]> = {
  domain: [],
  workflows: ['domain'],
  // The Temporal client adapters start, signal and query workflows by their exported definitions.
  infra: ['domain', 'workflows'],
  templates: ['domain', 'infra'],
  // Activities command the appliance through its client and fill the templates.
  activities: ['domain', 'infra', 'templates', 'capture'],
  capture: ['domain', 'infra', 'templates'],
  api: ['domain', 'infra', 'templates', 'capture', 'workflows'],
  app: ['domain', 'infra', 'templates', 'capture', 'workflows', 'activities', 'api', 'ops'],
  ops: ['domain', 'infra', 'templates', 'capture', 'workflows', 'activities'],
};
/** Erased when compiled: a workflow names its activities' types (`proxyActivities<Activities>`), nothing more. */
const MAY_IMPORT_TYPES: Partial<Record<Layer, readonly Layer[]>> = { workflows: ['activities'] };
/** Packages a workflow may load in the sandbox. */
const WORKFLOW_PACKAGES = ['@temporalio/workflow', '@temporalio/common'];

interface Edge {
  from: string;
  to: string;
  specifier: string;
  typeOnly: boolean;
}

const SKIP = new Set(['node_modules', 'dist', 'tools', 'data', 'test', 'test-artifacts', 'coverage']);

function sourceFiles(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    if (entry.name.startsWith('.') || SKIP.has(entry.name)) return [];
    const full = path.join(folder, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [full] : [];
  });
}

// `import … from`, `export … from`, bare `import '…'`, `import('…')`, `require('…')`; comments stripped first.
const STATIC = /^\s*(import|export)\s+(type\s+)?(?:[^'";]*?\sfrom\s+)?['"]([^'"]+)['"]/gm;
const DYNAMIC = /\b(?:import|require)\(\s*['"]([^'"]+)['"]\s*\)/g;

function withoutComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
}

function importsOf(file: string): { specifier: string; typeOnly: boolean }[] {
  const source = withoutComments(readFileSync(file, 'utf8'));
  const found = [...source.matchAll(STATIC)].map((match) => {
    const typeOnly = Boolean(match[2]) || (match[1] === 'import' && /^\s*import\s*\{\s*(type\s+[^,}]+\s*,?\s*)+\}\s*from/.test(match[0]));
    return { specifier: match[3] as string, typeOnly };
  });
  return [...found, ...[...source.matchAll(DYNAMIC)].map((match) => ({ specifier: match[1] as string, typeOnly: false }))];
}

function resolveRelative(from: string, specifier: string): string | undefined {
  const base = path.resolve(path.dirname(from), specifier.replace(/\.js$/, ''));
  return [`${base}.ts`, path.join(base, 'index.ts')].find((candidate) => existsSync(candidate) && statSync(candidate).isFile());
}

function layerOf(file: string): Layer | undefined {
  const top = path.relative(PROJECT_ROOT, file).split(path.sep)[0] as Layer;
  return LAYERS.includes(top) ? top : undefined;
}

const files = sourceFiles(PROJECT_ROOT);
const packageImports: { from: string; specifier: string; typeOnly: boolean }[] = [];
const edges: Edge[] = files.flatMap((from) =>
  importsOf(from).flatMap(({ specifier, typeOnly }) => {
    if (!specifier.startsWith('.')) {
      packageImports.push({ from, specifier, typeOnly });
      return [];
    }
    const to = resolveRelative(from, specifier);
    if (!to) throw new Error(`${path.relative(PROJECT_ROOT, from)} imports ${specifier}, which is no source file`);
    return [{ from, to, specifier, typeOnly }];
  }),
);
const relative = (file: string) => path.relative(PROJECT_ROOT, file);

test('every source file is in a layer', () => {
  expect(files.filter((file) => !layerOf(file)).map(relative)).toEqual([]);
});

test('no import crosses the layers against the rule', () => {
  const wrong = edges
    .filter(({ from, to, typeOnly }) => {
      const a = layerOf(from) as Layer;
      const b = layerOf(to) as Layer;
      if (a === b || MAY_IMPORT[a].includes(b)) return false;
      return !(typeOnly && MAY_IMPORT_TYPES[a]?.includes(b));
    })
    .map(({ from, specifier }) => `${relative(from)} → ${specifier}`);
  expect(wrong).toEqual([]);
});

test('the domain is pure: no package, no Node built-in', () => {
  expect(packageImports.filter(({ from }) => layerOf(from) === 'domain').map(({ from, specifier }) => `${relative(from)} → ${specifier}`)).toEqual([]);
});

test('workflows load nothing non-deterministic: only the workflow API, at run time', () => {
  const loaded = packageImports
    .filter(({ from, specifier, typeOnly }) => layerOf(from) === 'workflows' && !typeOnly && !WORKFLOW_PACKAGES.includes(specifier))
    .map(({ from, specifier }) => `${relative(from)} → ${specifier}`);
  expect(loaded).toEqual([]);
  const dynamic = files.filter((file) => layerOf(file) === 'workflows' && /\brequire\(|\bimport\(/.test(withoutComments(readFileSync(file, 'utf8'))));
  expect(dynamic.map(relative)).toEqual([]);
});

test('no import cycles, type-only imports included', () => {
  const next = new Map<string, string[]>();
  for (const { from, to } of edges) next.set(from, [...(next.get(from) ?? []), to]);
  // Tarjan's strongly connected components: any component of more than one file is a cycle.
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (file: string): void => {
    index.set(file, counter);
    low.set(file, counter);
    counter += 1;
    stack.push(file);
    onStack.add(file);
    for (const target of next.get(file) ?? []) {
      if (!index.has(target)) {
        visit(target);
        low.set(file, Math.min(low.get(file) as number, low.get(target) as number));
      } else if (onStack.has(target)) {
        low.set(file, Math.min(low.get(file) as number, index.get(target) as number));
      }
    }
    if (low.get(file) === index.get(file)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop() as string;
        onStack.delete(member);
        component.push(relative(member));
      } while (member !== file);
      if (component.length > 1) cycles.push(component.sort());
    }
  };
  for (const file of files) if (!index.has(file)) visit(file);
  expect(cycles).toEqual([]);
});
