// Synthesizes the SchedulingStack the way `cdk synth` does (cdk.json's context) and reads the template.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, CfnElement, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { FUNCTIONS, type FunctionDefinition, type QueueKey } from '../../lib/definitions.ts';
import { REPO_ROOT } from '../../lib/house-function.ts';
import { SchedulingStack, STACK_ID } from '../../lib/scheduling-stack.ts';

const CDK_JSON_CONTEXT = (
  JSON.parse(readFileSync(join(REPO_ROOT, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> }
).context;

export interface SynthOptions {
  /** Extra context, e.g. `demoTtlSeconds`. */
  readonly context?: Record<string, unknown>;
  /** Bundle the functions with esbuild (the slow part); tests about the template alone can skip it. */
  readonly bundle?: boolean;
}

export interface Synthesized {
  readonly app: App;
  readonly stack: SchedulingStack;
  readonly template: Template;
  readonly outdir: string;
}

export const TEST_ENV = { account: '123456789012', region: 'ap-northeast-2' } as const;

export function synthesize({ context = {}, bundle = true }: SynthOptions = {}): Synthesized {
  const outdir = mkdtempSync(join(tmpdir(), 'cdk-test-'));
  const app = new App({
    outdir,
    context: {
      ...CDK_JSON_CONTEXT,
      // As the CLI does by default: construct stack traces make synth several times slower.
      'aws:cdk:disable-stack-trace': true,
      ...context,
      ...(bundle ? {} : { 'aws:cdk:bundling-stacks': [] }),
    },
  });
  const stack = new SchedulingStack(app, STACK_ID, { env: TEST_ENV });
  return { app, stack, template: Template.fromStack(stack), outdir };
}

/** The logical id a construct (or its default CloudFormation resource) has in the template. */
export function logicalId(construct: IConstruct): string {
  const element = CfnElement.isCfnElement(construct) ? construct : construct.node.defaultChild;
  if (!element || !CfnElement.isCfnElement(element))
    throw new Error(`${construct.node.path} has no CloudFormation resource`);
  return Stack.of(element).resolve(Stack.of(element).getLogicalId(element)) as string;
}

export interface Statement {
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
  readonly Condition?: Record<string, Record<string, unknown>>;
}

type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;

const resourceCache = new WeakMap<Template, Map<string, Resources>>();

/** Resources of one type, by logical id (cached: Template.findResources is slow when called in loops). */
export function resourcesOf(template: Template, type: string): Resources {
  const byType = resourceCache.get(template) ?? new Map<string, Resources>();
  resourceCache.set(template, byType);
  const found = byType.get(type) ?? (template.findResources(type) as Resources);
  byType.set(type, found);
  return found;
}

/** Every statement of every identity policy attached to the role. */
export function statementsOfRole(template: Template, roleLogicalId: string): Statement[] {
  return Object.values(resourcesOf(template, 'AWS::IAM::Policy'))
    .filter(({ Properties }) => (Properties.Roles as { Ref: string }[]).some((role) => role.Ref === roleLogicalId))
    .flatMap(({ Properties }) => (Properties.PolicyDocument as { Statement: Statement[] }).Statement);
}

export const actionsOf = (statement: Statement): string[] =>
  Array.isArray(statement.Action) ? statement.Action : [statement.Action];

export const resourcesOfStatement = (statement: Statement): unknown[] =>
  Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];

/** `{ "Fn::GetAtt": [id, "Arn"] }`, how the template refers to a resource's ARN. */
export const arnOf = (id: string) => ({ 'Fn::GetAtt': [id, 'Arn'] });
export const refOf = (id: string) => ({ Ref: id });

export type FunctionKey = keyof typeof FUNCTIONS;

/** The function that consumes a queue, by its FUNCTIONS key. */
export function consumerOf(queue: QueueKey): FunctionKey {
  const key = (Object.keys(FUNCTIONS) as FunctionKey[]).find(
    (k) => (FUNCTIONS[k] as FunctionDefinition).queue === queue,
  );
  if (!key) throw new Error(`No function consumes ${queue}`);
  return key;
}

/** The Properties of one resource, failing the test with its id when it is not in the template. */
export function propertiesOf(template: Template, type: string, id: string): Record<string, unknown> {
  const resource = resourcesOf(template, type)[id];
  if (!resource) throw new Error(`No ${type} ${id} in the template`);
  return resource.Properties;
}
