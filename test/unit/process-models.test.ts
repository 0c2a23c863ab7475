/**
 * The BPMN models (workflows/bpmn/*.bpmn) and the workflows they draw cannot drift apart: every state a workflow can
 * report is an element of its model, every task of the model is a state the workflow reaches, every way a case ends
 * is an end event, the sequence flows lead from a start to every element and from every element to an end, and the
 * steps the process view marks for any status exist in the model.
 *
 * States come from the code itself: an exported const list where there is one, otherwise the union type parsed from
 * the workflow's source (see PROPOSED_STATE_LISTS in the report), and each is checked to be assigned somewhere in the
 * workflow body, so a stale union member fails too.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DISCLOSURE_STATUSES } from '../../domain/disclosure';
import { PROJECT_ROOT } from '../../infra/paths';
import {
  LIFECYCLES,
  accessReviewSteps,
  disclosureSteps,
  fullRecordingSteps,
  processModel,
  retentionSteps,
  type Lifecycle,
  type ProcessSteps,
} from '../../api/process-views';
import { ACCESS_REVIEW_STATES } from '../../workflows/bpmn/access-review-steps';
import { disclosureRefusal } from '../../domain/disclosure-steps';
import type { DeadlineStatus } from '../../workflows/deadline-reminders';
import type { DisclosureStatus } from '../../workflows/disclosure';
import type { EndReason, FullRecordingStatus } from '../../workflows/full-recording';
import type { FullRecordingState } from '../../domain/full-recording-steps';
import type { RetentionDayState } from '../../workflows/retention';

// sax (a dependency of docx-templates) ships no types; the few members used here are declared.
interface SaxTag {
  name: string;
  attributes: Record<string, { value: string }>;
  uri: string;
  local: string;
}
interface SaxParser {
  onopentag(tag: SaxTag): void;
  onclosetag(name: string): void;
  ontext(text: string): void;
  onerror(error: Error): void;
  write(xml: string): SaxParser;
  close(): void;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const sax = require('sax') as { parser(strict: boolean, options: { xmlns: boolean }): SaxParser };

const BPMN = 'http://www.omg.org/spec/BPMN/20100524/MODEL';
const BPMNDI = 'http://www.omg.org/spec/BPMN/20100524/DI';
const TASKS = ['task', 'userTask', 'serviceTask', 'receiveTask', 'sendTask', 'manualTask', 'scriptTask', 'businessRuleTask', 'subProcess', 'callActivity'];
const GATEWAYS = ['exclusiveGateway', 'parallelGateway', 'inclusiveGateway', 'eventBasedGateway', 'complexGateway'];
const EVENTS = ['startEvent', 'endEvent', 'intermediateCatchEvent', 'intermediateThrowEvent', 'boundaryEvent'];
const HANGUL = /[\uAC00-\uD7A3]/;

interface FlowNode {
  id: string;
  type: string;
  name?: string;
  attachedTo?: string;
}
interface ParsedModel {
  process: { id: string; name?: string };
  nodes: Map<string, FlowNode>;
  flows: { id: string; name?: string; source: string; target: string }[];
  /** Ids of elements with a diagram shape or edge. */
  drawn: Set<string>;
}

function parseModel(lifecycle: Lifecycle): ParsedModel {
  const xml = readFileSync(path.join(PROJECT_ROOT, 'workflows', 'bpmn', `${lifecycle}.bpmn`), 'utf8');
  const model: ParsedModel = { process: { id: '' }, nodes: new Map(), flows: [], drawn: new Set() };
  const parser = sax.parser(true, { xmlns: true });
  let processes = 0;
  parser.onerror = (error) => {
    throw error;
  };
  parser.onopentag = (tag) => {
    const attr = (name: string) => tag.attributes[name]?.value;
    if (tag.uri === BPMN && tag.local === 'process') {
      processes += 1;
      model.process = { id: attr('id') as string, name: attr('name') };
    } else if (tag.uri === BPMN && [...TASKS, ...GATEWAYS, ...EVENTS].includes(tag.local)) {
      const node: FlowNode = { id: attr('id') as string, type: tag.local, name: attr('name'), attachedTo: attr('attachedToRef') };
      expect(model.nodes.has(node.id)).toBe(false);
      model.nodes.set(node.id, node);
    } else if (tag.uri === BPMN && tag.local === 'sequenceFlow') {
      model.flows.push({ id: attr('id') as string, name: attr('name'), source: attr('sourceRef') as string, target: attr('targetRef') as string });
    } else if (tag.uri === BPMNDI && (tag.local === 'BPMNShape' || tag.local === 'BPMNEdge')) {
      model.drawn.add(attr('bpmnElement') as string);
    }
  };
  parser.write(xml).close();
  expect(processes).toBe(1);
  return model;
}

const source = (file: string) => readFileSync(path.join(PROJECT_ROOT, file), 'utf8');

/** The members of a string-literal union type as the source declares it. */
function unionMembers(file: string, typeName: string): string[] {
  const declaration = new RegExp(`export type ${typeName} =([^;]+);`).exec(source(file));
  if (!declaration) throw new Error(`${file}: no union type ${typeName}`);
  return [...(declaration[1] as string).matchAll(/'(\w+)'/g)].map((match) => match[1] as string);
}

/** The fields of an exported interface (top level only), as the source declares them. */
function interfaceFields(file: string, name: string): string[] {
  const body = new RegExp(`export interface ${name} \\{\\n([\\s\\S]*?)\\n\\}`).exec(source(file));
  if (!body) throw new Error(`${file}: no interface ${name}`);
  return [...(body[1] as string).matchAll(/^ {2}(\w+)\??:/gm)].map((match) => match[1] as string);
}

/**
 * The states a workflow body actually sets: literals on lines that assign a state (`state: '…'`, `state = …`) or end
 * the case (`finish('…'`, `end('…'`), leaving out declarations (arrow-function signatures).
 */
function assignedStates(file: string, states: readonly string[]): Set<string> {
  const found = new Set<string>();
  for (const line of source(file).split('\n')) {
    if (line.includes('=>') || !/\bstate\s*[:=]|\b(finish|end)\(/.test(line)) continue;
    for (const match of line.matchAll(/'(\w+)'/g)) if (states.includes(match[1] as string)) found.add(match[1] as string);
  }
  return found;
}

interface Lifecycle_ {
  lifecycle: Lifecycle;
  /** What the status query's `state` can be; each is a flow node `<state>` or, if terminal, an end event `end_<state>`. */
  states: readonly string[];
  /** The workflow files that set those states (for the assignment check); none for a workflow yet to be written. */
  sources: readonly string[];
  /** How a case can end, each an end event `end_<reason>`. */
  endings: readonly string[];
  /** Other names boundary and intermediate events may carry: status fields and a child workflow's states. */
  otherNames: readonly string[];
}

const fullRecordingStates = unionMembers('domain/full-recording-steps.ts', 'FullRecordingState');
const retentionStates = unionMembers('workflows/retention.ts', 'RetentionDayState');
const deadlineStates = unionMembers('workflows/deadline-reminders.ts', 'DeadlineState');
const DISCLOSURE_ENDINGS = ['closed', 'rejected', 'withdrawn'] as const;

const MODELS: Lifecycle_[] = [
  {
    lifecycle: 'full-recording',
    states: fullRecordingStates,
    sources: ['workflows/full-recording.ts'],
    endings: unionMembers('workflows/full-recording.ts', 'EndReason'),
    otherNames: interfaceFields('workflows/full-recording.ts', 'FullRecordingStatus'),
  },
  {
    lifecycle: 'disclosure',
    states: DISCLOSURE_STATUSES,
    sources: ['workflows/disclosure.ts'],
    // The states a case ends in (checked against the rules below); how it got there is drawn before the end event.
    endings: DISCLOSURE_ENDINGS,
    otherNames: [
      ...interfaceFields('workflows/disclosure.ts', 'DisclosureStatus'),
      ...deadlineStates,
      ...interfaceFields('workflows/deadline-reminders.ts', 'DeadlineStatus'),
    ],
  },
  {
    lifecycle: 'retention',
    states: retentionStates,
    sources: ['workflows/retention.ts'],
    endings: [],
    otherNames: interfaceFields('workflows/retention.ts', 'RetentionDayStatus'),
  },
  {
    lifecycle: 'access-review',
    states: ACCESS_REVIEW_STATES,
    sources: ['workflows/access-review.ts'],
    endings: [],
    otherNames: interfaceFields('workflows/bpmn/access-review-steps.ts', 'AccessReviewStatus'),
  },
];

describe('the code lists the drift test reads', () => {
  test('are found and not empty', () => {
    expect(fullRecordingStates).toEqual(['under_review', 'approved', 'active', 'rejected', 'ended', 'revoked']);
    expect(retentionStates).toEqual(['waiting', 'deleting', 'done']);
    expect(deadlineStates).toEqual(['planning', 'waiting', 'overdue', 'escalated', 'met']);
    // The disclosure states a case ends in are exactly those the rules treat as closed to every action.
    const operator = { username: 'lee.operator', role: 'operator' } as const;
    const closed = DISCLOSURE_STATUSES.filter(
      (state) => disclosureRefusal({ state, kind: 'provision', signOffs: [], provided: false }, operator, 'withdraw') === '이미 종결된 신청입니다.',
    );
    expect(closed).toEqual([...DISCLOSURE_ENDINGS]);
  });
  test.each(MODELS.filter((model) => model.sources.length > 0))('$lifecycle: every state is set by the workflow', ({ states, sources }) => {
    const assigned = new Set(sources.flatMap((file) => [...assignedStates(file, states)]));
    expect([...assigned].sort()).toEqual([...states].sort());
  });
  test('the Form 3 chase sets every state it reports', () => {
    expect([...assignedStates('workflows/deadline-reminders.ts', deadlineStates)].sort()).toEqual([...deadlineStates].sort());
  });
});

describe.each(MODELS)('$lifecycle model', ({ lifecycle, states, endings, otherNames }) => {
  const model = parseModel(lifecycle);
  const nodes = [...model.nodes.values()];
  const ids = new Set(model.nodes.keys());
  const names = new Set([...states, ...endings, ...otherNames]);
  const ofType = (types: readonly string[]) => nodes.filter((node) => types.includes(node.type));

  test('is one process, named for its lifecycle, every element drawn', () => {
    expect(model.process.id).toBe(lifecycle.replace('-', '_'));
    expect(model.process.name).toMatch(HANGUL);
    for (const id of [...ids, ...model.flows.map((flow) => flow.id)]) expect(model.drawn).toContain(id);
  });

  test('every state the workflow reports is in the model', () => {
    for (const state of states) expect(ids.has(state) || ids.has(`end_${state}`) ? state : `missing: ${state}`).toBe(state);
  });

  test('every way a case ends is an end event', () => {
    for (const ending of endings) expect(model.nodes.get(`end_${ending}`)?.type).toBe('endEvent');
  });

  test('every element is named by the workflow: tasks are states, events states or status fields', () => {
    for (const node of nodes) {
      const problem = (why: string) => `${node.type} ${node.id}: ${why}`;
      if (TASKS.includes(node.type)) expect(states.includes(node.id) ? 'ok' : problem('not a state')).toBe('ok');
      else if (GATEWAYS.includes(node.type)) expect(node.id).toMatch(/^gw_\w+$/);
      else if (node.type === 'startEvent') expect(node.id).toMatch(/^start_\w+$/);
      else if (node.type === 'endEvent')
        expect(names.has(node.id.replace(/^end_/, '')) && node.id.startsWith('end_') ? 'ok' : problem('not end_<name>')).toBe('ok');
      else expect(names.has(node.id) ? 'ok' : problem('not a state or status field')).toBe('ok');
    }
  });

  test('tasks and events carry Korean names', () => {
    for (const node of [...ofType(TASKS), ...ofType(EVENTS)]) expect(`${node.id}: ${node.name ?? ''}`).toMatch(HANGUL);
  });

  test('sequence flows lead from a start to every element, and from every element to an end', () => {
    for (const flow of model.flows) {
      expect(ids).toContain(flow.source);
      expect(ids).toContain(flow.target);
    }
    const next = new Map<string, string[]>(nodes.map((node) => [node.id, []]));
    for (const flow of model.flows) next.get(flow.source)?.push(flow.target);
    // A boundary event is reached when the task it sits on is.
    for (const node of nodes) if (node.attachedTo) next.get(node.attachedTo)?.push(node.id);
    const reach = (from: readonly string[], edges: Map<string, string[]>) => {
      const seen = new Set(from);
      for (const queue = [...from]; queue.length > 0;)
        for (const to of edges.get(queue.shift() as string) ?? [])
          if (!seen.has(to)) {
            seen.add(to);
            queue.push(to);
          }
      return seen;
    };
    const starts = ofType(['startEvent']).map((node) => node.id);
    expect(starts.length).toBeGreaterThan(0);
    expect([...reach(starts, next)].sort()).toEqual([...ids].sort());
    const previous = new Map<string, string[]>(nodes.map((node) => [node.id, []]));
    for (const flow of model.flows) previous.get(flow.target)?.push(flow.source);
    const ends = ofType(['endEvent']).map((node) => node.id);
    // Every element but a task's boundary event ends somewhere by its own flows; a boundary event by the flows after it.
    expect([...reach(ends, previous)].sort()).toEqual([...ids].sort());
    for (const node of nodes) {
      const incoming = model.flows.some((flow) => flow.target === node.id);
      const outgoing = model.flows.some((flow) => flow.source === node.id);
      if (node.type !== 'startEvent' && node.type !== 'boundaryEvent') expect(incoming ? 'ok' : `${node.id} has no incoming flow`).toBe('ok');
      if (node.type !== 'endEvent') expect(outgoing ? 'ok' : `${node.id} has no outgoing flow`).toBe('ok');
    }
    for (const node of ofType(['boundaryEvent'])) expect(ids).toContain(node.attachedTo);
  });

  test('the API reads the same names a real XML parser does', () => {
    const labels = processModel(lifecycle).labels;
    const named = [...nodes, ...model.flows, model.process].filter((element) => element.name);
    expect(labels.size).toBe(named.length);
    for (const element of named) expect(labels.get(element.id)).toBe((element.name as string).replace(/\s+/g, ' ').trim());
  });
});

test('the Form 3 chase of a provided copy: each state it waits or acts in is a timer on the wait for Form 3', () => {
  const model = parseModel('disclosure');
  // `planning` is the one activity call before the first wait, `met` the parent's own end (end_destruction_reported).
  for (const state of deadlineStates.filter((state) => state !== 'planning' && state !== 'met')) {
    expect(model.nodes.get(state)).toEqual(expect.objectContaining({ type: 'boundaryEvent', attachedTo: 'awaiting_destruction_report' }));
  }
});

describe('the steps the process view marks exist in the models', () => {
  const ids = new Map(LIFECYCLES.map((lifecycle) => [lifecycle, new Set(parseModel(lifecycle).nodes.keys())]));
  const expectIn = (lifecycle: Lifecycle, steps: ProcessSteps) => {
    const known = ids.get(lifecycle) as Set<string>;
    expect(steps.current).toBeDefined();
    for (const id of [steps.current as string, ...steps.past]) expect(known.has(id) ? id : `${lifecycle}: no element ${id}`).toBe(id);
  };

  test('full recording, for every state, ending and reminder', () => {
    const endReasons = unionMembers('workflows/full-recording.ts', 'EndReason') as EndReason[];
    for (const state of fullRecordingStates as FullRecordingState[]) {
      for (const endReason of [undefined, ...endReasons]) {
        for (const ended of [false, true]) {
          const status: FullRecordingStatus = {
            state,
            signOffs: [],
            remindersSent: ended ? 1 : 0,
            applyAttempts: 0,
            renewals: [],
            refusals: [],
            endReason,
            appliedAt: ended ? '2026-11-02T00:00:00.000Z' : undefined,
            endedAt: ended ? '2026-12-02T00:00:00.000Z' : undefined,
          };
          expectIn('full-recording', fullRecordingSteps(status));
        }
      }
    }
    // Withdrawn under review: nothing was switched, so the case ends without the switch back.
    const withdrawn = fullRecordingSteps({
      state: 'revoked',
      endReason: 'withdrawn',
      endedAt: '2026-11-02T00:00:00.000Z',
      signOffs: [],
      remindersSent: 0,
      applyAttempts: 0,
      renewals: [],
      refusals: [],
    });
    expect(withdrawn).toEqual({ current: 'end_withdrawn', past: ['start_applied', 'under_review'] });
  });

  test('disclosure, for every state and kind, with the Form 3 chase', () => {
    const chase: DeadlineStatus = {
      state: 'escalated',
      remindersSent: [7, 1],
      overdueNoticeSent: true,
      repeatedReminders: 2,
      undelivered: [],
      escalated: true,
    };
    for (const state of DISCLOSURE_STATUSES) {
      for (const kind of ['viewing', 'provision'] as const) {
        const status: DisclosureStatus = { state, signOffs: [], remindersSent: 1, recordings: [], refusedRecordings: [], readinessProblems: [], refusals: [] };
        expectIn('disclosure', disclosureSteps(status, kind, kind === 'provision' ? chase : undefined));
      }
    }
    const closedViewing = disclosureSteps(
      { state: 'closed', signOffs: [], remindersSent: 0, recordings: [], refusedRecordings: [], readinessProblems: [], refusals: [] },
      'viewing',
    );
    expect(closedViewing).toEqual({
      current: 'end_closed',
      past: ['start_registered', 'registered', 'in_sign_off', 'awaiting_handover', 'released', 'viewingUntil'],
    });
  });

  test('retention and the access review, for every state', () => {
    for (const state of retentionStates as RetentionDayState[]) {
      expectIn('retention', retentionSteps({ day: '2026-10-01', dueAt: '2026-10-31T15:00:00.000Z', state, deleted: 0, batches: 0, held: 0 }));
    }
    for (const state of ACCESS_REVIEW_STATES) expectIn('access-review', accessReviewSteps({ month: '2026-10', state, remindersSent: 1 }));
  });
});
