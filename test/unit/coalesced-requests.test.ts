import '../support/unit-env.ts';
import { BatchExecuteStatementCommand, BatchGetCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  type Coalesced,
  executeStatement,
  getItemConsistently,
  type Statement,
  StatementError,
  statementRequests,
} from '../../lambdas/shared/dynamo/coalesced.ts';
import { UNIT_ENV } from '../support/unit-env.ts';

const db = mockClient(DynamoDBDocumentClient);
const TABLE = UNIT_ENV.TABLE_NAME;

const statement = (sk: string): Statement => ({
  statement: `UPDATE "${TABLE}" SET "claimedBy" = ? WHERE "pk" = ? AND "sk" = ? AND "status" = ?`,
  parameters: ['attempt', 'ACCOUNT#a', sk, 'PENDING'],
  key: { pk: 'ACCOUNT#a', sk },
});

beforeEach(() => db.reset());

/** A caller whose own single request, were it alone, answers 'alone'. */
const run = (sk: string) => executeStatement(statement(sk), async () => 'alone' as const);
const outcomeOf = (answer: Coalesced<'alone'>) => (answer.batched ? answer.outcome : answer.result);

describe('statements asked in the same turn', () => {
  it('go to DynamoDB as one request and each caller gets its own answer', async () => {
    db.on(BatchExecuteStatementCommand).resolves({
      Responses: [
        { TableName: TABLE },
        { TableName: TABLE, Error: { Code: 'ConditionalCheckFailed', Message: 'no' } },
        { TableName: TABLE },
      ],
    });
    const answers = await Promise.all(['ALARM#1', 'ALARM#2', 'ALARM#3'].map(run));
    expect(answers.map(outcomeOf)).toEqual(['done', 'condition-failed', 'done']);
    const calls = db.commandCalls(BatchExecuteStatementCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.args[0].input.Statements?.map((s) => s.Parameters?.[2])).toEqual([
      'ALARM#1',
      'ALARM#2',
      'ALARM#3',
    ]);
  });

  it('reject only the caller whose statement failed for another reason than its condition', async () => {
    db.on(BatchExecuteStatementCommand).resolves({
      Responses: [{ TableName: TABLE }, { TableName: TABLE, Error: { Code: 'TransactionConflict', Message: 'busy' } }],
    });
    const [first, second] = await Promise.allSettled([run('ALARM#1'), run('ALARM#2')]);
    expect(first).toEqual({ status: 'fulfilled', value: { batched: true, outcome: 'done' } });
    expect(second.status).toBe('rejected');
    const reason = (second as PromiseRejectedResult).reason as StatementError;
    expect(reason).toBeInstanceOf(StatementError);
    expect(reason.code).toBe('TransactionConflict');
  });

  it('reject every caller of a request that failed as a whole', async () => {
    db.on(BatchExecuteStatementCommand).rejects(Object.assign(new Error('down'), { name: 'InternalServerError' }));
    const results = await Promise.allSettled([run('ALARM#1'), run('ALARM#2')]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
  });

  it("are left to each caller's own request when each is alone in its turn", async () => {
    await expect(run('ALARM#1')).resolves.toEqual({ batched: false, result: 'alone' });
    await expect(run('ALARM#2')).resolves.toEqual({ batched: false, result: 'alone' });
    expect(db.commandCalls(BatchExecuteStatementCommand)).toHaveLength(0);
  });
});

describe('cutting statements into requests', () => {
  const cut = (sks: string[]) => statementRequests(sks.map(statement), (s) => s.key);

  it('puts at most 25 statements in a request', () => {
    const sizes = cut(Array.from({ length: 60 }, (_, n) => `ALARM#${n}`)).map((r) => r.length);
    expect(sizes).toEqual([25, 25, 10]);
  });

  it('never puts two statements on one item in the same request', () => {
    const requests = cut(['ALARM#1', 'ALARM#1', 'ALARM#2', 'ALARM#1']);
    expect(requests.map((r) => r.map((e) => e.key.sk))).toEqual([['ALARM#1', 'ALARM#2'], ['ALARM#1'], ['ALARM#1']]);
  });
});

describe('consistent reads asked in the same turn', () => {
  it('go as one BatchGetItem, each caller getting its item or undefined', async () => {
    db.on(BatchGetCommand).resolves({
      Responses: { [TABLE]: [{ pk: 'ACCOUNT#a', sk: 'ALARM#2', title: 'two' }] },
    });
    const [one, two, twoAgain] = await Promise.all([
      getItemConsistently({ pk: 'ACCOUNT#a', sk: 'ALARM#1' }),
      getItemConsistently({ pk: 'ACCOUNT#a', sk: 'ALARM#2' }),
      getItemConsistently({ pk: 'ACCOUNT#a', sk: 'ALARM#2' }),
    ]);
    expect(one).toBeUndefined();
    expect(two).toMatchObject({ title: 'two' });
    expect(twoAgain).toMatchObject({ title: 'two' });
    const calls = db.commandCalls(BatchGetCommand);
    expect(calls).toHaveLength(1);
    const request = calls[0]?.args[0].input.RequestItems?.[TABLE];
    expect(request?.ConsistentRead).toBe(true);
    expect(request?.Keys).toHaveLength(2);
  });
});
