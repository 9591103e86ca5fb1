// Recurring alarms' use cases are the alarms' own (alarms.ts): one module over the timer core.
export {
  type AlarmChange,
  cancelAnyOwnAlarm,
  changeOwnAlarm,
  createRecurringAlarm,
  listOwnOccurrences,
  type NewRecurringAlarm,
  type OccurrenceListing,
  type OccurrenceView,
} from './alarms.ts';
