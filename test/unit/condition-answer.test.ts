import { describe, expect, it } from 'vitest';
import { readConditionAnswer } from '../../lambdas/alarms/condition-answer.ts';

const booked = { title: 'Today’s question', body: 'Answer before 22:00', data: { family: 'F1' } };
const read = (raw: string, recurring = false) => readConditionAnswer(raw, booked, { recurring });

describe('a condition’s answer', () => {
  it('{"send": true} pushes what was booked', () => {
    expect(read('{"send":true}')).toEqual({ kind: 'send', push: booked });
  });

  it('{"send": true} with title, body or data pushes those instead, each on its own', () => {
    expect(read('{"send":true,"title":"Still waiting"}')).toEqual({
      kind: 'send',
      push: { ...booked, title: 'Still waiting' },
    });
    expect(read('{"send":true,"body":"","data":{"nudge":"2"}}')).toEqual({
      kind: 'send',
      push: { title: booked.title, body: '', data: { nudge: '2' } },
    });
  });

  it('{"send": false} skips the push', () => {
    expect(read('{"send":false}')).toEqual({ kind: 'skip' });
  });

  it.each([
    ['a send that is not a boolean', '{"send":"yes"}'],
    ['no send at all', '{}'],
    ['a JSON array', '[true]'],
    ['JSON null', 'null'],
    ['an unknown field', '{"send":true,"titel":"typo"}'],
    ['text with a skip', '{"send":false,"title":"x"}'],
    ['an empty title', '{"send":true,"title":""}'],
    ['a title over 200 characters', `{"send":true,"title":"${'x'.repeat(201)}"}`],
    ['a body over 2,000 characters', `{"send":true,"body":"${'x'.repeat(2001)}"}`],
    ['data that is not strings', '{"send":true,"data":{"n":1}}'],
    ['a reserved data key', '{"send":true,"data":{"alarmId":"x"}}'],
    ['occurrenceAt in data', '{"send":true,"data":{"occurrenceAt":"x"}}'],
  ])('is invalid with %s', (_case, raw) => {
    expect(read(raw)).toMatchObject({ kind: 'invalid', reason: 'CONDITION_INVALID_ANSWER' });
  });

  it('is invalid when the push it asks for would not fit FCM’s 4,096 bytes', () => {
    const answer = JSON.stringify({ send: true, body: 'ü'.repeat(2000), title: 'é'.repeat(200) });
    const outcome = read(answer);
    expect(outcome).toMatchObject({ kind: 'invalid', reason: 'CONDITION_INVALID_ANSWER' });
    if (outcome.kind === 'invalid') expect(outcome.detail).toContain('FCM takes at most 4096');
  });

  it('counts occurrenceAt for a recurring alarm: an answer that fits a one-off may not fit an occurrence', () => {
    const used = JSON.stringify({ notification: { title: 'T', body: '' }, data: { k: '', alarmId: 'x'.repeat(26) } });
    const answer = JSON.stringify({ send: true, title: 'T', body: '', data: { k: 'v'.repeat(4096 - used.length) } });
    expect(read(answer, false)).toMatchObject({ kind: 'send' });
    expect(read(answer, true)).toMatchObject({ kind: 'invalid' });
  });

  it('is not JSON when it does not parse, or was cut off at the read limit', () => {
    expect(read('OK')).toMatchObject({ kind: 'not-json' });
    expect(read('')).toMatchObject({ kind: 'not-json' });
    expect(readConditionAnswer('{"send":tr', booked, { recurring: false, truncated: true })).toMatchObject({
      kind: 'not-json',
    });
  });
});
