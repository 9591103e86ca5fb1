import { describe, expect, it } from 'vitest';
import {
  FCM_MAX_PAYLOAD_BYTES,
  fcmMessage,
  fcmPayloadBytes,
  fitsFcm,
  plannedPayloadBytes,
} from '../../lambdas/alarms/fcm-message.ts';

const ALARM_ID = '01JBBBBBBBBBBBBBBBBBBBBBBB';

describe('the FCM message of a push', () => {
  it('is the contract message: token, notification, data with alarmId', () => {
    expect(fcmMessage({ alarmId: ALARM_ID, deviceToken: 'tok', title: 'T', body: 'B', data: { room: '4' } })).toEqual({
      message: { token: 'tok', notification: { title: 'T', body: 'B' }, data: { room: '4', alarmId: ALARM_ID } },
    });
  });

  it('carries occurrenceAt for an occurrence of a recurring alarm', () => {
    const message = fcmMessage({
      alarmId: ALARM_ID,
      deviceToken: 'tok',
      title: 'T',
      body: 'B',
      data: {},
      occurrenceAt: '2027-03-14T12:00:00.000Z',
    });
    expect(message.message.data).toEqual({ alarmId: ALARM_ID, occurrenceAt: '2027-03-14T12:00:00.000Z' });
  });

  it('counts the UTF-8 bytes of notification and data as sent, our keys included', () => {
    const message = fcmMessage({
      alarmId: ALARM_ID,
      deviceToken: 'not counted',
      title: 'é',
      body: '',
      data: { k: 'v' },
    });
    expect(fcmPayloadBytes(message)).toBe(
      Buffer.byteLength(`{"notification":{"title":"é","body":""},"data":{"k":"v","alarmId":"${ALARM_ID}"}}`),
    );
  });

  it('plans a recurring push with room for occurrenceAt, so it fits on every occurrence', () => {
    const content = { title: 'T', body: '', data: {} };
    expect(plannedPayloadBytes(content, true) - plannedPayloadBytes(content, false)).toBe(
      ',"occurrenceAt":"2027-03-14T12:00:00.000Z"'.length,
    );
  });

  it('says whether a push fits 4,096 bytes, to the byte', () => {
    const base = plannedPayloadBytes({ title: 'T', body: '', data: {} }, false);
    const body = (n: number) => 'x'.repeat(n - base);
    expect(fitsFcm({ title: 'T', body: body(FCM_MAX_PAYLOAD_BYTES), data: {} }, false)).toBe(true);
    expect(fitsFcm({ title: 'T', body: body(FCM_MAX_PAYLOAD_BYTES + 1), data: {} }, false)).toBe(false);
    expect(fitsFcm({ title: 'T', body: body(FCM_MAX_PAYLOAD_BYTES), data: {} }, true)).toBe(false);
  });
});
