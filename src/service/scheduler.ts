import cron, { type ScheduledTask } from 'node-cron';
import type { Config } from '../config/types.js';
import type { Logger } from '../log/logger.js';

/** Targets that share a cron schedule; `targets` undefined means every target. */
export interface ScheduleGroup {
  schedule: string;
  targets: string[] | undefined;
}

/** The top-level schedule covers the targets without their own; each other schedule its targets. */
export function scheduleGroups(config: Config): ScheduleGroup[] {
  const by = new Map<string, string[]>();
  for (const t of config.targets) {
    const s = t.schedule ?? config.schedule;
    by.set(s, [...(by.get(s) ?? []), t.name]);
  }
  if (by.size === 1) return [{ schedule: [...by.keys()][0] as string, targets: undefined }];
  return [...by].map(([schedule, targets]) => ({ schedule, targets }));
}

/** One node-cron task per schedule group; a tick only asks the runner (which never overlaps). */
export class Scheduler {
  private tasks: ScheduledTask[] = [];

  constructor(private readonly log: Logger) {
    cron.setLogger({
      info: (m) => log.debug({ source: 'node-cron' }, m),
      warn: (m) => log.debug({ source: 'node-cron' }, m),
      error: (m) => log.warn({ source: 'node-cron', error: String(m) }, 'scheduler error'),
      debug: () => undefined,
    });
  }

  start(groups: ScheduleGroup[], tick: (group: ScheduleGroup) => void): void {
    this.stop();
    for (const group of groups) {
      const task = cron.createTask(group.schedule, () => tick(group), { name: `driftwarden ${group.schedule}`, suppressMissedWarning: true });
      void task.start();
      this.tasks.push(task);
      this.log.info({ schedule: group.schedule, targets: group.targets ?? 'all', next: task.getNextRun()?.toISOString() ?? null }, 'schedule started');
    }
  }

  stop(): void {
    for (const task of this.tasks) void task.destroy();
    this.tasks = [];
  }
}
