/**
 * The fields of Kubernetes objects the deployer reads, typed loosely enough that both the
 * @kubernetes/client-node models and the API's JSON (e.g. recorded with kubectl -o json) fit.
 */

/** The API sends RFC 3339 strings; client-node turns them into Dates. */
export type Timestamp = string | Date;

export interface ObjectMeta {
  name?: string | undefined;
  namespace?: string | undefined;
  uid?: string | undefined;
  generation?: number | undefined;
  labels?: Record<string, string> | undefined;
  annotations?: Record<string, string> | undefined;
  creationTimestamp?: Timestamp | undefined;
  deletionTimestamp?: Timestamp | undefined;
  ownerReferences?: { kind: string; name: string }[] | undefined;
}

export interface ContainerStateView {
  waiting?: { reason?: string | undefined; message?: string | undefined } | undefined;
  running?: { startedAt?: Timestamp | undefined } | undefined;
  terminated?:
    | {
        exitCode: number;
        reason?: string | undefined;
        message?: string | undefined;
        signal?: number | undefined;
        finishedAt?: Timestamp | undefined;
        containerID?: string | undefined;
      }
    | undefined;
}

export interface ContainerStatusView {
  name: string;
  ready: boolean;
  restartCount: number;
  image?: string | undefined;
  imageID?: string | undefined;
  started?: boolean | undefined;
  state?: ContainerStateView | undefined;
  lastState?: ContainerStateView | undefined;
}

export interface PodConditionView {
  type: string;
  status: string;
  reason?: string | undefined;
  message?: string | undefined;
}

export interface ContainerSpecView {
  name: string;
  image?: string | undefined;
}

export interface PodView {
  metadata?: ObjectMeta | undefined;
  spec?: { nodeName?: string | undefined; containers: ContainerSpecView[]; initContainers?: ContainerSpecView[] | undefined } | undefined;
  status?:
    | {
        phase?: string | undefined;
        reason?: string | undefined;
        message?: string | undefined;
        conditions?: PodConditionView[] | undefined;
        containerStatuses?: ContainerStatusView[] | undefined;
        initContainerStatuses?: ContainerStatusView[] | undefined;
      }
    | undefined;
}

export interface PodTemplateView {
  spec?: { containers: ContainerSpecView[]; initContainers?: ContainerSpecView[] | undefined } | undefined;
}

export interface DaemonSetView {
  metadata?: ObjectMeta | undefined;
  spec?: { template: PodTemplateView } | undefined;
  status?:
    | {
        desiredNumberScheduled: number;
        currentNumberScheduled: number;
        numberReady: number;
        numberMisscheduled: number;
        updatedNumberScheduled?: number | undefined;
        numberAvailable?: number | undefined;
        numberUnavailable?: number | undefined;
        observedGeneration?: number | undefined;
      }
    | undefined;
}

export interface DeploymentConditionView {
  type: string;
  status: string;
  reason?: string | undefined;
  message?: string | undefined;
}

export interface DeploymentView {
  metadata?: ObjectMeta | undefined;
  spec?: { replicas?: number | undefined; template: PodTemplateView } | undefined;
  status?:
    | {
        replicas?: number | undefined;
        updatedReplicas?: number | undefined;
        readyReplicas?: number | undefined;
        availableReplicas?: number | undefined;
        unavailableReplicas?: number | undefined;
        observedGeneration?: number | undefined;
        conditions?: DeploymentConditionView[] | undefined;
      }
    | undefined;
}

export interface EventView {
  type?: string | undefined;
  reason?: string | undefined;
  message?: string | undefined;
  count?: number | undefined;
  involvedObject: { kind?: string | undefined; name?: string | undefined; uid?: string | undefined };
  firstTimestamp?: Timestamp | undefined;
  lastTimestamp?: Timestamp | undefined;
  eventTime?: Timestamp | undefined;
  metadata?: ObjectMeta | undefined;
}

/** A DaemonSet or a Deployment: what runs Falco, as the chart's controller.kind chose. */
export type Workload = { kind: 'DaemonSet'; object: DaemonSetView } | { kind: 'Deployment'; object: DeploymentView };

/** When an event last happened, as epoch milliseconds (0 when it carries no time). */
export function eventTime(event: EventView): number {
  const at = event.lastTimestamp ?? event.eventTime ?? event.firstTimestamp ?? event.metadata?.creationTimestamp;
  return at === undefined ? 0 : new Date(at).getTime();
}

export function isTerminating(object: { metadata?: ObjectMeta | undefined }): boolean {
  return object.metadata?.deletionTimestamp !== undefined && object.metadata.deletionTimestamp !== null;
}

/** The selector of everything helm installed for a release of the chart. */
export function releaseSelector(release: string): string {
  return `app.kubernetes.io/instance=${release}`;
}
