// Collects operations while a planner runs. Edges may be added to an
// operation after it was created (an await gains dependents as services are
// planned), so operations stay mutable here and are frozen into a Plan once.

import { Plan, operationId, type Operation, type OperationKind } from './plan.js';

type Draft<T extends Operation> = Omit<T, 'id' | 'dependsOn'>;

export class PlanBuilder {
  private readonly ops = new Map<string, { op: Operation; deps: Set<string> }>();
  readonly warnings: string[] = [];

  /** Adds an operation targeting `target`; returns its id. */
  add<K extends OperationKind>(target: string, draft: Draft<Extract<Operation, { kind: K }>> & { kind: K }, deps: Iterable<string> = []): string {
    const id = operationId(draft.kind, target);
    if (this.ops.has(id)) throw new Error(`plan: operation ${id} planned twice`);
    this.ops.set(id, { op: { ...draft, id, dependsOn: [] } as unknown as Operation, deps: new Set(deps) });
    return id;
  }

  has(id: string): boolean {
    return this.ops.has(id);
  }

  addDeps(id: string, deps: Iterable<string>): void {
    const entry = this.ops.get(id);
    if (!entry) throw new Error(`plan: no operation ${id}`);
    for (const d of deps) if (d !== id) entry.deps.add(d);
  }

  /** Replaces fields of a planned operation (its cause, typically). */
  update<K extends OperationKind>(id: string, kind: K, fields: Partial<Omit<Extract<Operation, { kind: K }>, 'id' | 'dependsOn' | 'kind'>>): void {
    const entry = this.ops.get(id);
    if (!entry || entry.op.kind !== kind) throw new Error(`plan: no ${kind} operation ${id}`);
    entry.op = { ...entry.op, ...fields } as Operation;
  }

  get(id: string): Operation | undefined {
    return this.ops.get(id)?.op;
  }

  warn(text: string): void {
    if (!this.warnings.includes(text)) this.warnings.push(text);
  }

  build(): Plan {
    const ops = [...this.ops.values()].map(({ op, deps }): Operation => ({ ...op, dependsOn: [...deps].sort() }));
    return new Plan(ops, this.warnings);
  }
}
