// cdk-nag 3 is a policy-validation plugin: `validateScope` returns its report (errors and warnings alike);
// registered with Validations.of(app).addPlugins it fails the synth on any unacknowledged finding.
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { SchedulingStack } from '../../lib/scheduling-stack.ts';
import { synthesize } from './stack-fixture.ts';

let app: App;
let stack: SchedulingStack;

beforeAll(() => {
  ({ app, stack } = synthesize({ bundle: false }));
});

const findingsOf = (scope: IConstruct) =>
  new AwsSolutionsChecks(scope)
    .validateScope(scope)
    .violations.flatMap((v) =>
      v.violatingResources.map((r) => `${v.severity} ${v.ruleName} at ${r.constructPath ?? r.resourceLogicalId}`),
    );

const acknowledgementsOn = (construct: IConstruct): Record<string, string> =>
  Object.assign(
    {},
    ...construct.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY).map((m) => m.data),
  );

describe('cdk-nag AwsSolutions checks', () => {
  it('should find no unacknowledged error or warning in the stack', () => {
    expect(findingsOf(app)).toEqual([]);
  });

  it('should report a finding when a resource breaks a rule, so the check above can fail', () => {
    const bad = new Stack(new App(), 'Bad');
    new Queue(bad, 'PlainQueue');
    expect(findingsOf(bad)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^error AwsSolutions-SQS4 at Bad\/PlainQueue/)]),
    );
  });

  it('should fail the synth when the plugin sees an unacknowledged finding', () => {
    const badApp = new App();
    new Queue(new Stack(badApp, 'Bad'), 'PlainQueue');
    Validations.of(badApp).addPlugins(new AwsSolutionsChecks(badApp));
    expect(() => badApp.synth()).toThrow(/AwsSolutions-SQS4/);
  });

  it('should acknowledge nothing on the app or the stack as a whole, only on the constructs concerned', () => {
    expect(acknowledgementsOn(app)).toEqual({});
    expect(acknowledgementsOn(stack)).toEqual({});
  });

  it('should give every acknowledgement a specific rule id and a reason', () => {
    const all = stack.node
      .findAll()
      .flatMap((construct) => Object.entries(acknowledgementsOn(construct)).map(([id, reason]) => ({ id, reason })));
    expect(all.length).toBeGreaterThan(0);
    for (const { id, reason } of all) {
      expect(id).toMatch(/AwsSolutions-[A-Z]+\d+/);
      expect(reason.length, `${id}: reason too short`).toBeGreaterThan(40);
    }
  });
});
