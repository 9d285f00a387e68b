import type { ClusterPort } from '../cluster.ts';
import type { EventView, PodView, Workload } from '../kube-objects.ts';

function matches(labels: Record<string, string> | undefined, selector: string): boolean {
  return selector
    .split(',')
    .filter(Boolean)
    .every((term) => {
      const [key, value] = term.split('=');
      return labels?.[key!] === value;
    });
}

type Method = keyof ClusterPort;

/** An in-memory cluster behind the cluster port: tests set the objects and inject failures per method. */
export class FakeCluster implements ClusterPort {
  readonly namespaces = new Set<string>();
  readonly workloadsByNamespace = new Map<string, Workload[]>();
  readonly podsByNamespace = new Map<string, PodView[]>();
  readonly eventsByNamespace = new Map<string, EventView[]>();
  readonly logs = new Map<string, string>();
  readonly calls: Method[] = [];
  readonly #failures = new Map<Method, unknown[]>();

  /** The next `count` calls of `method` reject with `error`. */
  failNext(method: Method, error: unknown, count = 1): void {
    this.#failures.set(method, [...(this.#failures.get(method) ?? []), ...Array.from({ length: count }, () => error)]);
  }

  setWorkloads(namespace: string, workloads: Workload[]): void {
    this.workloadsByNamespace.set(namespace, workloads);
  }

  setPods(namespace: string, pods: PodView[]): void {
    this.podsByNamespace.set(namespace, pods);
  }

  addEvents(namespace: string, events: EventView[]): void {
    this.eventsByNamespace.set(namespace, [...(this.eventsByNamespace.get(namespace) ?? []), ...events]);
  }

  setLog(namespace: string, pod: string, container: string, text: string): void {
    this.logs.set(`${namespace}/${pod}/${container}`, text);
  }

  async ensureNamespace(name: string): Promise<'created' | 'present'> {
    this.#enter('ensureNamespace');
    if (this.namespaces.has(name)) return 'present';
    this.namespaces.add(name);
    return 'created';
  }

  async workloads(namespace: string, selector: string): Promise<Workload[]> {
    this.#enter('workloads');
    return (this.workloadsByNamespace.get(namespace) ?? []).filter((w) => matches(w.object.metadata?.labels, selector));
  }

  async pods(namespace: string, selector: string): Promise<PodView[]> {
    this.#enter('pods');
    return (this.podsByNamespace.get(namespace) ?? []).filter((p) => matches(p.metadata?.labels, selector));
  }

  async events(namespace: string): Promise<EventView[]> {
    this.#enter('events');
    return this.eventsByNamespace.get(namespace) ?? [];
  }

  async logTail(namespace: string, pod: string, container: string, options: { lines: number }): Promise<string> {
    this.#enter('logTail');
    const text = this.logs.get(`${namespace}/${pod}/${container}`);
    if (text === undefined) throw new Error(`no log for ${pod}/${container}`);
    return text.split('\n').slice(-options.lines).join('\n');
  }

  #enter(method: Method): void {
    this.calls.push(method);
    const queue = this.#failures.get(method);
    if (queue?.length) throw queue.shift();
  }
}
