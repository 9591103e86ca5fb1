// The local Scheduler's schedules and groups, in memory, optionally persisted to one JSON file that is
// written atomically (temp file + rename) a moment after each change.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { DEFAULT_GROUP, type GroupRecord, type ScheduleRecord } from './model.ts';

interface PersistedState {
  readonly version: 1;
  readonly groups: readonly GroupRecord[];
  readonly schedules: readonly ScheduleRecord[];
}

const SAVE_DEBOUNCE_MS = 50;

const scheduleKey = (group: string, name: string) => `${group}/${name}`;
const byName = (a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

export class ScheduleStore {
  private readonly groups = new Map<string, GroupRecord>();
  private readonly schedules = new Map<string, ScheduleRecord>();
  private saveTimer: NodeJS.Timeout | undefined;
  private saving: Promise<void> = Promise.resolve();

  constructor(
    private readonly region: string,
    private readonly accountId: string,
    private readonly dataFile: string | undefined,
    now: number,
    private readonly log: (line: string) => void,
  ) {
    const arn = this.groupArn(DEFAULT_GROUP);
    this.groups.set(DEFAULT_GROUP, { name: DEFAULT_GROUP, arn, creationDate: now, lastModificationDate: now });
  }

  scheduleArn(group: string, name: string): string {
    return `arn:aws:scheduler:${this.region}:${this.accountId}:schedule/${group}/${name}`;
  }

  groupArn(name: string): string {
    return `arn:aws:scheduler:${this.region}:${this.accountId}:schedule-group/${name}`;
  }

  /** Loads the data file if there is one; a missing file is an empty store. */
  async load(): Promise<void> {
    if (!this.dataFile) return;
    let text: string;
    try {
      text = await readFile(this.dataFile, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    const state = JSON.parse(text) as PersistedState;
    for (const group of state.groups) this.groups.set(group.name, group);
    for (const schedule of state.schedules) this.schedules.set(scheduleKey(schedule.group, schedule.name), schedule);
  }

  getGroup(name: string): GroupRecord | undefined {
    return this.groups.get(name);
  }

  listGroups(): GroupRecord[] {
    return [...this.groups.values()].sort(byName);
  }

  putGroup(group: GroupRecord): void {
    this.groups.set(group.name, group);
    this.changed();
  }

  /** Removes the group and its schedules; returns the schedules removed. */
  deleteGroup(name: string): ScheduleRecord[] {
    const removed = this.listSchedules(name);
    for (const schedule of removed) this.schedules.delete(scheduleKey(schedule.group, schedule.name));
    this.groups.delete(name);
    this.changed();
    return removed;
  }

  getSchedule(group: string, name: string): ScheduleRecord | undefined {
    return this.schedules.get(scheduleKey(group, name));
  }

  /** Schedules ordered by group, then name; only `group`'s when given. */
  listSchedules(group?: string): ScheduleRecord[] {
    return [...this.schedules.values()]
      .filter((schedule) => group === undefined || schedule.group === group)
      .sort((a, b) => (a.group === b.group ? byName(a, b) : a.group < b.group ? -1 : 1));
  }

  putSchedule(schedule: ScheduleRecord): void {
    this.schedules.set(scheduleKey(schedule.group, schedule.name), schedule);
    this.changed();
  }

  deleteSchedule(group: string, name: string): boolean {
    const existed = this.schedules.delete(scheduleKey(group, name));
    if (existed) this.changed();
    return existed;
  }

  /** Writes any pending change now (called on stop). */
  async flush(): Promise<void> {
    if (this.saveTimer) {
      clearTimeout(this.saveTimer);
      this.saveTimer = undefined;
      this.save();
    }
    await this.saving;
  }

  private changed(): void {
    if (!this.dataFile || this.saveTimer) return;
    this.saveTimer = setTimeout(() => {
      this.saveTimer = undefined;
      this.save();
    }, SAVE_DEBOUNCE_MS);
    this.saveTimer.unref();
  }

  private save(): void {
    const file = this.dataFile;
    if (!file) return;
    const state: PersistedState = { version: 1, groups: this.listGroups(), schedules: this.listSchedules() };
    const text = JSON.stringify(state, null, 2);
    // Chained so that two saves never race on the temp file, and the last state written wins.
    this.saving = this.saving.then(async () => {
      try {
        const temp = `${file}.${process.pid}.tmp`;
        await mkdir(dirname(file), { recursive: true });
        await writeFile(temp, text);
        await rename(temp, file);
      } catch (error) {
        this.log(`scheduler: could not save ${file}: ${error instanceof Error ? error.message : String(error)}`);
      }
    });
  }
}
