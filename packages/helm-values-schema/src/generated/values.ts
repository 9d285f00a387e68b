// Generated from the values schema by scripts/write-chart-files.ts (npm run build); do not edit.

/**
 * Values of the falco-airgap Helm chart.
 */
export interface FalcoAirgapValues {
  /**
   * Settings shared by every image of the chart.
   */
  global: {
    /**
     * Private registry that replaces the registry of every image of the chart; empty keeps each image's own.
     */
    imageRegistry: string;
    /**
     * Pull secrets of every pod of the chart, e.g. [{name: regcred}].
     *
     * Items: A Secret of type kubernetes.io/dockerconfigjson in the release namespace.
     */
    imagePullSecrets: {
      /**
       * Secret name.
       */
      name: string;
    }[];
  };
  /**
   * Replaces the chart name in object names.
   */
  nameOverride: string;
  /**
   * Replaces the whole object name prefix.
   */
  fullnameOverride: string;
  /**
   * Namespace of the objects; empty means the release namespace.
   */
  namespaceOverride: string;
  /**
   * Falco version of the images; gates legacy options and is the default tag of every image. Empty means the chart appVersion.
   */
  falcoVersion: string;
  /**
   * How plugins reach Falco: sidecar (an init container of the plugin-loader image fills the plugin directory), s3 (the falco-s3-loader image fetches a release from S3 at start), none (only what the Falco image holds).
   */
  pluginStrategy: 'sidecar' | 's3' | 'none';
  image: ImageSettings;
  /**
   * The plugin-loader init container (pluginStrategy sidecar): verifies every plugin against its sha256 and copies it into the plugin directory.
   */
  pluginLoader: {
    image: ImageSettings;
    /**
     * Resources of the init container.
     */
    resources: {
      [k: string]: unknown | undefined;
    };
    /**
     * Security context of the init container; it needs no privilege.
     */
    securityContext: {
      [k: string]: unknown | undefined;
    };
  };
  /**
   * Plugins from S3 (pluginStrategy s3): the falco-s3-loader image fetches the release a channel points to, verifies it, installs it, then starts Falco.
   */
  s3: {
    image: ImageSettings;
    /**
     * Bucket holding the plugin store; required for pluginStrategy s3.
     */
    bucket: string;
    /**
     * Key prefix of the store inside the bucket, without leading or trailing "/".
     */
    prefix: string;
    /**
     * Channel this cluster follows (prod, staging, cluster-eu-1...); set channel or release, not both.
     */
    channel: string;
    /**
     * Pin one immutable release id instead of following a channel.
     */
    release: string;
    /**
     * AWS region of the bucket; empty lets the SDK decide (IRSA sets AWS_REGION).
     */
    region: string;
    /**
     * S3-compatible endpoint inside the air gap (MinIO, Ceph); empty means AWS S3.
     */
    endpoint: string;
    /**
     * Address the bucket in the path (most S3-compatible servers need it).
     */
    forcePathStyle: boolean;
    /**
     * When S3 cannot be reached: fail (Falco does not start) or use-cached (start with the last verified set in cacheHostPath).
     */
    onUnavailable: 'fail' | 'use-cached';
    /**
     * Node directory keeping the last verified plugin set across pod restarts; needed by use-cached.
     */
    cacheHostPath: string;
    /**
     * Connect and inactivity timeout of each S3 request made by the loader, in seconds.
     */
    timeoutSeconds: number;
    /**
     * Retries of each request.
     */
    retries: number;
    /**
     * IAM role for the ServiceAccount (EKS IRSA) with read access to the bucket prefix; becomes the eks.amazonaws.com/role-arn annotation.
     */
    irsaRoleArn: string;
    /**
     * Secret with AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY for S3-compatible servers without IRSA.
     */
    existingSecret: string;
  };
  /**
   * What runs Falco: a DaemonSet (one per node, system calls) or a Deployment (plugin-only sources such as the k8saudit webhook).
   */
  controller: {
    /**
     * daemonset or deployment.
     */
    kind: 'daemonset' | 'deployment';
    /**
     * Annotations of the DaemonSet or Deployment.
     */
    annotations: {
      [k: string]: string | undefined;
    };
    /**
     * Extra labels of the DaemonSet or Deployment.
     */
    labels: {
      [k: string]: string | undefined;
    };
    /**
     * DaemonSet settings.
     */
    daemonset: {
      /**
       * DaemonSet updateStrategy.
       */
      updateStrategy: {
        [k: string]: unknown | undefined;
      };
    };
    /**
     * Deployment settings.
     */
    deployment: {
      /**
       * Replicas; more than one means each event source must tolerate duplicates.
       */
      replicas: number;
      /**
       * Old ReplicaSets kept for rollback.
       */
      revisionHistoryLimit: number;
    };
  };
  /**
   * Extra Services, e.g. [{name: k8saudit-webhook, type: NodePort, ports: [{port: 9765, nodePort: 30007}]}] for the k8saudit plugin.
   *
   * Items: A Service in front of Falco, such as the k8saudit webhook of a Deployment.
   */
  services: {
    /**
     * Suffix of the Service name.
     */
    name: string;
    /**
     * Service type.
     */
    type?: 'ClusterIP' | 'NodePort' | 'LoadBalancer';
    /**
     * Service annotations.
     */
    annotations?: {
      [k: string]: string | undefined;
    };
    /**
     * Ports.
     *
     * @minItems 1
     *
     * Items: A port of the Service; the Falco container exposes it too.
     */
    ports: [
      {
        /**
         * Port name, up to 15 characters (defaults to protocol-port, e.g. tcp-9765).
         */
        name?: string;
        /**
         * Port number.
         */
        port: number;
        /**
         * Container port (defaults to port).
         */
        targetPort?: number;
        /**
         * Node port for type NodePort.
         */
        nodePort?: number;
        /**
         * TCP, UDP or SCTP.
         */
        protocol?: 'TCP' | 'UDP' | 'SCTP';
      },
      ...{
        /**
         * Port name, up to 15 characters (defaults to protocol-port, e.g. tcp-9765).
         */
        name?: string;
        /**
         * Port number.
         */
        port: number;
        /**
         * Container port (defaults to port).
         */
        targetPort?: number;
        /**
         * Node port for type NodePort.
         */
        nodePort?: number;
        /**
         * TCP, UDP or SCTP.
         */
        protocol?: 'TCP' | 'UDP' | 'SCTP';
      }[],
    ];
  }[];
  /**
   * How Falco sees system calls. A Deployment (controller.kind) runs plugin-only sources and needs driver.enabled false.
   */
  driver: {
    /**
     * Load a driver; false for plugin-only sources such as k8saudit.
     */
    enabled: boolean;
    /**
     * modern_ebpf (CO-RE, kernel >= 5.8, nothing to build), kmod (kernel module), auto (falcoctl picks at start). ebpf and gvisor render only for Falco older than 0.44.
     */
    kind: 'modern_ebpf' | 'kmod' | 'auto' | 'ebpf' | 'gvisor';
    /**
     * The modern eBPF driver.
     */
    modernEbpf: {
      /**
       * Run Falco with the capabilities BPF, PERFMON, SYS_RESOURCE and SYS_PTRACE instead of privileged.
       */
      leastPrivileged: boolean;
      /**
       * Size preset (0-10) of the buffer shared between the driver and Falco.
       */
      bufSizePreset: number;
      /**
       * CPUs sharing one ring buffer.
       */
      cpusForEachBuffer: number;
      /**
       * Drop failed system call exit events in the driver.
       */
      dropFailedExit: boolean;
    };
    /**
     * The kernel module driver (always privileged).
     */
    kmod: {
      /**
       * Size preset (0-10) of the buffer shared between the driver and Falco.
       */
      bufSizePreset: number;
      /**
       * Drop failed system call exit events in the driver.
       */
      dropFailedExit: boolean;
    };
    /**
     * Legacy eBPF probe; removed in Falco 0.44.
     */
    ebpf: {
      /**
       * Probe file built or fetched by the driver loader.
       */
      path: string;
      /**
       * Run with SYS_ADMIN, SYS_RESOURCE and SYS_PTRACE instead of privileged.
       */
      leastPrivileged: boolean;
      /**
       * Use the host network so the probe can enable the eBPF JIT.
       */
      hostNetwork: boolean;
      /**
       * Size preset (0-10) of the buffer shared between the driver and Falco.
       */
      bufSizePreset: number;
      /**
       * Drop failed system call exit events in the driver.
       */
      dropFailedExit: boolean;
    };
    /**
     * gVisor (runsc) sandboxes; removed in Falco 0.44.
     */
    gvisor: {
      /**
       * Where runsc lives on the nodes.
       */
      runsc: {
        /**
         * Directory of the runsc binary on the host.
         */
        path: string;
        /**
         * runsc state directory on the host.
         */
        root: string;
        /**
         * runsc configuration on the host.
         */
        config: string;
      };
    };
    /**
     * Init container installing the kernel module or legacy probe with falcoctl from the Falco image (kmod, auto, ebpf). It never downloads unless repos names an internal mirror.
     */
    loader: {
      /**
       * Run the driver loader for kmod, auto and ebpf.
       */
      enabled: boolean;
      /**
       * Internal mirrors of prebuilt drivers (the layout of download.falco.org/driver); empty means build from the node kernel headers only.
       */
      repos: string[];
      /**
       * Build the driver on the node when no prebuilt one is found.
       */
      compile: boolean;
      /**
       * Resources of the driver loader container.
       */
      resources: {
        [k: string]: unknown | undefined;
      };
      /**
       * Extra environment of the driver loader container.
       *
       * Items: An EnvVar.
       */
      env: {
        [k: string]: unknown | undefined;
      }[];
    };
  };
  /**
   * Metadata enrichment.
   */
  collectors: {
    /**
     * The container plugin (libcontainer.so, shipped by every plugin strategy): container and pod metadata from the runtime sockets. DaemonSet with a driver only.
     */
    containerEngine: {
      /**
       * Load the container plugin and mount the sockets of the enabled engines.
       */
      enabled: boolean;
      /**
       * Longest container label collected.
       */
      labelMaxLen: number;
      /**
       * Inspect container sizes (slow).
       */
      withSize: boolean;
      /**
       * When metadata is fetched.
       */
      hooks: ('create' | 'start')[];
      /**
       * Runtimes to ask.
       */
      engines: {
        /**
         * containerd.
         */
        containerd: {
          /**
           * Collect metadata from this engine.
           */
          enabled: boolean;
          /**
           * Sockets on the node.
           */
          sockets: string[];
        };
        /**
         * Any CRI runtime (containerd, CRI-O).
         */
        cri: {
          /**
           * Collect metadata from this engine.
           */
          enabled: boolean;
          /**
           * Sockets on the node.
           */
          sockets: string[];
        };
        /**
         * Docker.
         */
        docker: {
          /**
           * Collect metadata from this engine.
           */
          enabled: boolean;
          /**
           * Sockets on the node.
           */
          sockets: string[];
        };
        /**
         * Podman.
         */
        podman: {
          /**
           * Collect metadata from this engine.
           */
          enabled: boolean;
          /**
           * Sockets on the node.
           */
          sockets: string[];
        };
      };
    };
  };
  /**
   * Settings written to falco.yaml. The chart owns engine (from driver.*), metrics (from metrics.*), webserver.prometheus_metrics_enabled and the container plugin (from collectors.*).
   */
  falco: {
    /**
     * Extra configuration files or directories loaded after falco.yaml; /etc/falco/config.d is always loaded first.
     */
    config_files: string[];
    /**
     * Reload Falco when its configuration or rules files change.
     */
    watch_config_files: boolean;
    /**
     * Rules files or directories, loaded in this order; the files of customRules follow, in byte order of their names.
     */
    rules_files: string[];
    /**
     * Enable or disable rules by name or tag after all rules files are loaded.
     *
     * Items: One selection, e.g. {disable: {tag: network}}.
     */
    rules: {
      [k: string]: unknown | undefined;
    }[];
    /**
     * Plugins to load, by name; each needs an entry in plugins (the container plugin is managed by collectors.containerEngine).
     */
    load_plugins: string[];
    /**
     * Plugin definitions, used when listed in load_plugins.
     */
    plugins: FalcoPluginEntry[];
    /**
     * Give plugins host information (reads the host /proc).
     */
    plugins_hostinfo: boolean;
    /**
     * Print times in ISO 8601.
     */
    time_format_iso_8601: boolean;
    /**
     * Print data buffers in base64.
     */
    buffer_format_base64: boolean;
    /**
     * Minimum rule priority to load.
     */
    priority: 'emergency' | 'alert' | 'critical' | 'error' | 'warning' | 'notice' | 'informational' | 'info' | 'debug';
    /**
     * first: the first matching rule wins; all: every matching rule fires.
     */
    rule_matching: 'first' | 'all';
    /**
     * Print alerts as JSON.
     */
    json_output: boolean;
    /**
     * Include the formatted output in JSON alerts.
     */
    json_include_output_property: boolean;
    /**
     * Include the message without time and priority in JSON alerts.
     */
    json_include_message_property: boolean;
    /**
     * Include the output fields in JSON alerts.
     */
    json_include_output_fields_property: boolean;
    /**
     * Include the rule tags in JSON alerts.
     */
    json_include_tags_property: boolean;
    /**
     * Buffer outputs instead of flushing each alert.
     */
    buffered_outputs: boolean;
    /**
     * Queue between the engine and the outputs.
     */
    outputs_queue: {
      /**
       * Alerts queued before dropping; 0 means unbounded.
       */
      capacity: number;
    };
    /**
     * Extra fields appended to alert outputs.
     *
     * Items: One append rule, e.g. {match: {source: syscall}, extra_fields: [...]}.
     */
    append_output: {
      [k: string]: unknown | undefined;
    }[];
    /**
     * Alerts on standard output (what kubectl logs shows).
     */
    stdout_output: {
      /**
       * Write alerts to stdout.
       */
      enabled: boolean;
    };
    /**
     * Alerts to syslog; off because a container has no syslog daemon.
     */
    syslog_output: {
      /**
       * Write alerts to syslog.
       */
      enabled: boolean;
    };
    /**
     * Alerts appended to a file inside the container.
     */
    file_output: {
      /**
       * Write alerts to a file.
       */
      enabled: boolean;
      /**
       * Keep the file open between alerts.
       */
      keep_alive: boolean;
      /**
       * File to write.
       */
      filename: string;
    };
    /**
     * Alerts posted to an HTTP endpoint inside the air gap, such as falcosidekick.
     */
    http_output: {
      /**
       * Post alerts over HTTP.
       */
      enabled: boolean;
      /**
       * Endpoint, e.g. http://falcosidekick.falco.svc:2801/.
       */
      url: string;
      /**
       * User-Agent header.
       */
      user_agent: string;
      /**
       * Skip TLS verification.
       */
      insecure: boolean;
      /**
       * CA certificate file.
       */
      ca_cert: string;
      /**
       * CA bundle file.
       */
      ca_bundle: string;
      /**
       * CA directory.
       */
      ca_path: string;
      /**
       * Use client certificates.
       */
      mtls: boolean;
      /**
       * Client certificate file.
       */
      client_cert: string;
      /**
       * Client key file.
       */
      client_key: string;
      /**
       * Print the endpoint responses.
       */
      echo: boolean;
      /**
       * Compress posted alerts.
       */
      compress_uploads: boolean;
      /**
       * Reuse the connection.
       */
      keep_alive: boolean;
    };
    /**
     * Alerts piped to a program inside the container.
     */
    program_output: {
      /**
       * Pipe alerts to a program.
       */
      enabled: boolean;
      /**
       * Keep the program running between alerts.
       */
      keep_alive: boolean;
      /**
       * Shell command receiving the alerts.
       */
      program: string;
    };
    /**
     * Removed in Falco 0.44 (deprecated in 0.43): the gRPC server. Renders only when falcoVersion is older than 0.44.
     */
    grpc: {
      [k: string]: unknown | undefined;
    };
    /**
     * Removed in Falco 0.44 (deprecated in 0.43): the gRPC output. Renders only when falcoVersion is older than 0.44.
     */
    grpc_output: {
      [k: string]: unknown | undefined;
    };
    /**
     * Falco webserver: health endpoint for probes and the helm test, /metrics when metrics.enabled.
     */
    webserver: {
      /**
       * Run the webserver (probes, helm test and metrics need it).
       */
      enabled: boolean;
      /**
       * Worker threads; 0 means one per CPU.
       */
      threadiness: number;
      /**
       * Port of the webserver.
       */
      listen_port: number;
      /**
       * Address the webserver binds.
       */
      listen_address: string;
      /**
       * Path of the health endpoint.
       */
      k8s_healthz_endpoint: string;
      /**
       * Serve HTTPS.
       */
      ssl_enabled: boolean;
      /**
       * Certificate and key (PEM) when ssl_enabled.
       */
      ssl_certificate: string;
    };
    /**
     * Write Falco logs to stderr.
     */
    log_stderr: boolean;
    /**
     * Write Falco logs to syslog.
     */
    log_syslog: boolean;
    /**
     * Minimum level of Falco logs.
     */
    log_level: 'emergency' | 'alert' | 'critical' | 'error' | 'warning' | 'notice' | 'info' | 'debug';
    /**
     * Logs of the underlying libraries.
     */
    libs_logger: {
      /**
       * Enable library logs.
       */
      enabled: boolean;
      /**
       * Minimum severity.
       */
      severity: 'fatal' | 'critical' | 'error' | 'warning' | 'notice' | 'info' | 'debug' | 'trace';
    };
    /**
     * Milliseconds an output may block before Falco reports it.
     */
    output_timeout: number;
    /**
     * Reaction to the driver not delivering events.
     */
    syscall_event_timeouts: {
      /**
       * Consecutive timeouts before an alert.
       */
      max_consecutives: number;
    };
    /**
     * Reaction to dropped system call events.
     */
    syscall_event_drops: {
      [k: string]: unknown | undefined;
    };
    /**
     * System calls Falco always collects, beyond those the rules need.
     */
    base_syscalls: {
      [k: string]: unknown | undefined;
    };
    /**
     * Tuning of the underlying libraries.
     */
    falco_libs: {
      [k: string]: unknown | undefined;
    };
    /**
     * Event capture to .scap files when rules fire.
     */
    capture: {
      [k: string]: unknown | undefined;
    };
  };
  /**
   * Rules files by name, mounted in /etc/falco/rules.d and loaded after falco.rules_files in byte order of their names.
   */
  customRules: {
    [k: string]: string | undefined;
  };
  /**
   * Falco metrics, served in Prometheus format on the webserver at /metrics.
   */
  metrics: {
    /**
     * Enable metrics (needs falco.webserver.enabled).
     */
    enabled: boolean;
    /**
     * How often Falco refreshes its metrics snapshot.
     */
    interval: string;
    /**
     * Also emit metrics as the rule "Falco internal: metrics snapshot".
     */
    outputRule: boolean;
    /**
     * Count matches per rule.
     */
    rulesCountersEnabled: boolean;
    /**
     * CPU and memory of Falco and the host.
     */
    resourceUtilizationEnabled: boolean;
    /**
     * State engine counters.
     */
    stateCountersEnabled: boolean;
    /**
     * Kernel event and drop counters.
     */
    kernelEventCountersEnabled: boolean;
    /**
     * Per-program eBPF statistics (needs kernel.bpf_stats_enabled).
     */
    libbpfStatsEnabled: boolean;
    /**
     * Metrics of the plugins.
     */
    pluginsMetricsEnabled: boolean;
    /**
     * Report memory in MB.
     */
    convertMemoryToMB: boolean;
    /**
     * Report metrics whose value is zero.
     */
    includeEmptyValues: boolean;
  };
  /**
   * The Service in front of the Falco webserver: the health endpoint for helm test and, with metrics.enabled, /metrics for Prometheus.
   */
  service: {
    /**
     * Create the Service (needs falco.webserver.enabled).
     */
    enabled: boolean;
    /**
     * Service type.
     */
    type: 'ClusterIP' | 'NodePort' | 'LoadBalancer';
    /**
     * Service annotations.
     */
    annotations: {
      [k: string]: string | undefined;
    };
    /**
     * Extra Service labels.
     */
    labels: {
      [k: string]: string | undefined;
    };
  };
  /**
   * A Prometheus Operator ServiceMonitor for the webserver Service (needs metrics.enabled and the monitoring.coreos.com CRDs).
   */
  serviceMonitor: {
    /**
     * Create the ServiceMonitor.
     */
    create: boolean;
    /**
     * Labels your Prometheus selects ServiceMonitors by.
     */
    labels: {
      [k: string]: string | undefined;
    };
    /**
     * Scrape interval.
     */
    interval: string;
    /**
     * Scrape timeout.
     */
    scrapeTimeout: string;
    /**
     * Metrics path.
     */
    path: string;
    /**
     * http, or https when falco.webserver.ssl_enabled.
     */
    scheme: 'http' | 'https';
    /**
     * TLS settings of the scrape.
     */
    tlsConfig: {
      [k: string]: unknown | undefined;
    };
    /**
     * Relabelings of the scrape.
     *
     * Items: A RelabelConfig.
     */
    relabelings: {
      [k: string]: unknown | undefined;
    }[];
    /**
     * Relabelings of the samples.
     *
     * Items: A RelabelConfig.
     */
    metricRelabelings: {
      [k: string]: unknown | undefined;
    }[];
  };
  /**
   * Probes on the webserver health endpoint (only when falco.webserver.enabled).
   */
  healthChecks: {
    /**
     * Startup probe; failureThreshold x periodSeconds bounds the start (plugins from S3 included).
     */
    startupProbe: {
      /**
       * Seconds before the first probe.
       */
      initialDelaySeconds: number;
      /**
       * Seconds before a probe times out.
       */
      timeoutSeconds: number;
      /**
       * Seconds between probes.
       */
      periodSeconds: number;
      /**
       * Failures in a row before the kubelet acts.
       */
      failureThreshold: number;
    };
    /**
     * Liveness probe.
     */
    livenessProbe: {
      /**
       * Seconds before the first probe.
       */
      initialDelaySeconds: number;
      /**
       * Seconds before a probe times out.
       */
      timeoutSeconds: number;
      /**
       * Seconds between probes.
       */
      periodSeconds: number;
      /**
       * Failures in a row before the kubelet acts.
       */
      failureThreshold: number;
    };
    /**
     * Readiness probe.
     */
    readinessProbe: {
      /**
       * Seconds before the first probe.
       */
      initialDelaySeconds: number;
      /**
       * Seconds before a probe times out.
       */
      timeoutSeconds: number;
      /**
       * Seconds between probes.
       */
      periodSeconds: number;
      /**
       * Failures in a row before the kubelet acts.
       */
      failureThreshold: number;
    };
  };
  /**
   * The ServiceAccount of the Falco pods.
   */
  serviceAccount: {
    /**
     * Create the ServiceAccount.
     */
    create: boolean;
    /**
     * Name; empty means the release full name.
     */
    name: string;
    /**
     * Annotations; s3.irsaRoleArn adds eks.amazonaws.com/role-arn.
     */
    annotations: {
      [k: string]: string | undefined;
    };
    /**
     * Mount an API token into the pods; Falco does not call the Kubernetes API, so it stays off.
     */
    automountServiceAccountToken: boolean;
  };
  /**
   * ClusterRole and binding of the ServiceAccount. Falco reads everything from the node, so the role grants nothing unless extraRules asks.
   */
  rbac: {
    /**
     * Create the ClusterRole and ClusterRoleBinding.
     */
    create: boolean;
    /**
     * PolicyRules to grant, e.g. for a plugin that reads the API.
     *
     * Items: A PolicyRule.
     */
    extraRules: {
      [k: string]: unknown | undefined;
    }[];
  };
  /**
   * Extra pod annotations.
   */
  podAnnotations: {
    [k: string]: string | undefined;
  };
  /**
   * Extra pod labels.
   */
  podLabels: {
    [k: string]: string | undefined;
  };
  /**
   * PriorityClass of the pods.
   */
  podPriorityClassName: string;
  /**
   * Pod securityContext.
   */
  podSecurityContext: {
    [k: string]: unknown | undefined;
  };
  /**
   * Security context of the Falco container; when set it replaces the one the chart derives from driver.*.
   */
  containerSecurityContext: {
    [k: string]: unknown | undefined;
  };
  /**
   * Resources of the Falco container.
   */
  resources: {
    [k: string]: unknown | undefined;
  };
  /**
   * Node selector.
   */
  nodeSelector: {
    [k: string]: string | undefined;
  };
  /**
   * Affinity.
   */
  affinity: {
    [k: string]: unknown | undefined;
  };
  /**
   * Tolerations; by default Falco also runs on control-plane nodes.
   *
   * Items: A Toleration.
   */
  tolerations: {
    [k: string]: unknown | undefined;
  }[];
  /**
   * Seconds Falco gets to flush its outputs on stop.
   */
  terminationGracePeriodSeconds: number;
  /**
   * Attach a TTY so logs are flushed at once.
   */
  tty: boolean;
  /**
   * Extra volumes.
   */
  mounts: {
    /**
     * Pod volumes.
     *
     * Items: A Volume.
     */
    volumes: {
      [k: string]: unknown | undefined;
    }[];
    /**
     * Mounts in the Falco container.
     *
     * Items: A VolumeMount.
     */
    volumeMounts: {
      [k: string]: unknown | undefined;
    }[];
  };
  /**
   * Extra settings of the Falco container and pod.
   */
  extra: {
    /**
     * Extra environment variables.
     *
     * Items: An EnvVar.
     */
    env: {
      [k: string]: unknown | undefined;
    }[];
    /**
     * Extra Falco command-line arguments.
     */
    args: string[];
    /**
     * Extra init containers, run after the chart's own.
     *
     * Items: A Container.
     */
    initContainers: {
      [k: string]: unknown | undefined;
    }[];
  };
  /**
   * The helm test hook: a pod from the Falco image asking the webserver Service for the health endpoint.
   */
  test: {
    /**
     * Render the test pod (needs service.enabled and falco.webserver.enabled).
     */
    enabled: boolean;
  };
}
/**
 * Where one image of the chart comes from. global.imageRegistry, when set, replaces registry.
 */
export interface ImageSettings {
  /**
   * Private registry host[:port][/path] the image is pulled from.
   */
  registry: string;
  /**
   * Repository inside the registry, without registry, tag or digest.
   */
  repository: string;
  /**
   * Tag; empty means falcoVersion (the pipeline tags every image with the Falco version).
   */
  tag: string;
  /**
   * Content digest; when set it is used instead of the tag.
   */
  digest: string;
  /**
   * Kubernetes imagePullPolicy.
   */
  pullPolicy: 'IfNotPresent' | 'Always' | 'Never';
}
/**
 * One plugin as Falco loads it; library_path is relative to /usr/share/falco/plugins, where the plugin strategy installs the files.
 */
export interface FalcoPluginEntry {
  /**
   * Plugin name, as listed in load_plugins.
   */
  name: string;
  /**
   * Shared library of the plugin, e.g. libk8saudit.so.
   */
  library_path: string;
  /**
   * Plugin init configuration: a map for most plugins, a string for some.
   */
  init_config?:
    | {
        [k: string]: unknown | undefined;
      }
    | string;
  /**
   * Plugin open parameters, e.g. http://:9765/k8s-audit.
   */
  open_params?: string;
}
