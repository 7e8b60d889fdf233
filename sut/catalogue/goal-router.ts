import type { PlayerEvent } from '../events/player-event.ts';
import { LOGIN, type Goal, type GoalCatalogue } from './goal-catalogue.ts';

/** Which goals an event feeds: login events the login goals, stat events the goals on their stat code. */
export class GoalRouter {
  private readonly bySource = new Map<string, Goal[]>();

  constructor(catalogue: GoalCatalogue) {
    for (const goal of catalogue.goals) {
      const list = this.bySource.get(goal.source) ?? [];
      list.push(goal);
      this.bySource.set(goal.source, list);
    }
  }

  goalsFor(event: PlayerEvent): readonly Goal[] {
    return this.bySource.get(event.type === 'login' ? LOGIN : (event.statCode as string)) ?? [];
  }
}
