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
   * Pull secrets of the Falco pods, as the upstream chart names them; global.imagePullSecrets comes first.
   *
   * Items: A Secret of type kubernetes.io/dockerconfigjson in the release namespace.
   */
  imagePullSecrets: {
    /**
     * Secret name.
     */
    name: string;
  }[];
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
   * The rules files of plugins-lock.yaml, delivered with the plugins (pluginStrategy sidecar or s3) into /etc/falco/locked-rules.d and listed in falco.rules_files.
   */
  lockedRules: {
    /**
     * Deliver the rules files of the lock and load them.
     */
    enabled: boolean;
    /**
     * Their file names in load order (dependencies first, e.g. [falco_rules.yaml, falco-incubating_rules.yaml]: the rule sets an environment's rules select), each listed as /etc/falco/locked-rules.d/<name>, in place of the image's /etc/falco/falco_rules.yaml; every name must be in the lock or Falco stops. Empty lists the directory: Falco loads its YAML files in name order.
     */
    files: string[];
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
   */
  services?:
    | {
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
      }[]
    | null;
  /**
   * How Falco sees system calls. A Deployment (controller.kind) runs plugin-only sources and needs driver.enabled false.
   */
  driver: {
    /**
     * Load a driver; false for plugin-only sources such as k8saudit.
     */
    enabled: boolean;
    /**
     * modern_ebpf (CO-RE, kernel >= 5.8, nothing to build), kmod (kernel module), auto (falcoctl picks at start). Not auto as upstream: auto runs a privileged loader that may build a kernel module, and every supported EKS kernel runs modern_ebpf. ebpf and gvisor render only for Falco older than 0.44.
     */
    kind: 'modern_ebpf' | 'kmod' | 'auto' | 'ebpf' | 'gvisor';
    /**
     * Host path mounted read-only at the same path for modern_ebpf and auto (driver.modernEbpf.sysfsMount): tracefs below it is where the TOCTOU mitigation attaches. /sys/kernel covers tracefs and debugfs; /sys/kernel/tracing or /sys/kernel/debug mount less.
     */
    sysfsMountPath: string;
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
      /**
       * Read the initial process table from /proc instead of BPF iterators.
       */
      disableIterators: boolean;
      /**
       * Mount driver.sysfsMountPath (without it Falco runs without the TOCTOU mitigation of open, connect and creat).
       */
      sysfsMount: boolean;
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
       * The driver loader init container.
       */
      initContainer: {
        /**
         * Its image; an empty repository means the Falco image (which carries falcoctl). An upstream falco-driver-loader image mirrored into your registry works too.
         */
        image: {
          /**
           * Registry; empty means that of the Falco image. global.imageRegistry, when set, replaces it.
           */
          registry: string;
          /**
           * Repository; empty means the Falco image (image.*).
           */
          repository: string;
          /**
           * Tag; empty means falcoVersion.
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
        };
        /**
         * Extra environment, rendered through tpl.
         *
         * Items: An EnvVar.
         */
        env: {
          [k: string]: unknown | undefined;
        }[];
        /**
         * Extra arguments of falcoctl driver install, e.g. [--http-insecure].
         */
        args: string[];
        /**
         * Resources of the container.
         */
        resources: {
          [k: string]: unknown | undefined;
        };
        /**
         * Security context; empty means privileged (loading a kernel module needs it).
         */
        securityContext: {
          [k: string]: unknown | undefined;
        };
      };
    };
  };
  /**
   * Metadata enrichment.
   */
  collectors: {
    /**
     * Load the metadata collectors at all (with a driver, on a DaemonSet).
     */
    enabled: boolean;
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
       * Runtimes to ask; the sockets cover containerd, k3s, Bottlerocket (/run/host-containerd), CRI-O and podman.
       */
      engines: {
        /**
         * Docker.
         */
        docker: {
          /**
           * Collect metadata from Docker. Off, unlike the upstream chart: Kubernetes nodes run containerd or CRI-O, and the socket sits directly in /var/run, so mounting it leaves an empty /var/run/docker.sock directory on nodes without Docker.
           */
          enabled: boolean;
          /**
           * Sockets as paths on the node; the plugin prefixes HOST_ROOT (/host) itself and skips sockets that do not exist. Each socket is mounted read-only: its directory, or the socket file alone when it sits directly in /run or /var/run.
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
           * Sockets as paths on the node; the plugin prefixes HOST_ROOT (/host) itself and skips sockets that do not exist. Each socket is mounted read-only: its directory, or the socket file alone when it sits directly in /run or /var/run.
           */
          sockets: string[];
        };
        /**
         * containerd outside Kubernetes, e.g. the host containerd of Bottlerocket.
         */
        containerd: {
          /**
           * Collect metadata from this engine.
           */
          enabled: boolean;
          /**
           * Sockets as paths on the node; the plugin prefixes HOST_ROOT (/host) itself and skips sockets that do not exist. Each socket is mounted read-only: its directory, or the socket file alone when it sits directly in /run or /var/run.
           */
          sockets: string[];
        };
        /**
         * Any CRI runtime: containerd, k3s, CRI-O.
         */
        cri: {
          /**
           * Collect metadata from this engine.
           */
          enabled: boolean;
          /**
           * Sockets as paths on the node; the plugin prefixes HOST_ROOT (/host) itself and skips sockets that do not exist. Each socket is mounted read-only: its directory, or the socket file alone when it sits directly in /run or /var/run.
           */
          sockets: string[];
        };
        /**
         * LXC.
         */
        lxc: {
          /**
           * Match containers of this engine (no socket: read from the cgroups).
           */
          enabled: boolean;
        };
        /**
         * libvirt LXC.
         */
        libvirt_lxc: {
          /**
           * Match containers of this engine (no socket: read from the cgroups).
           */
          enabled: boolean;
        };
        /**
         * BOSH process manager.
         */
        bpm: {
          /**
           * Match containers of this engine (no socket: read from the cgroups).
           */
          enabled: boolean;
        };
      };
    };
    /**
     * The k8smeta plugin (in the lock, delivered by the plugin strategy): Kubernetes metadata from a k8s-metacollector you deploy with its own chart.
     */
    kubernetes: {
      /**
       * Load the k8smeta plugin (with a driver, on a DaemonSet).
       */
      enabled: boolean;
      /**
       * Host of the k8s-metacollector; empty means <release>-k8s-metacollector.<namespace>.svc, where its chart installs it under the same release name.
       */
      collectorHostname: string;
      /**
       * gRPC port of the k8s-metacollector; empty means 45000.
       */
      collectorPort: number | string;
      /**
       * Log level of the plugin.
       */
      verbosity: 'critical' | 'error' | 'warning' | 'info' | 'debug' | 'trace';
      /**
       * Where the host's /proc is mounted, less /proc.
       */
      hostProc: string;
    };
  };
  /**
   * Settings written to falco.yaml. The chart owns engine (from driver.*), metrics (from metrics.*) and the container and k8smeta plugins (from collectors.*).
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
     * Rules files or directories, loaded in this order. /etc/falco/rules.d stands for the customRules files (in byte order of their names; appended when not listed). The rules files of the lock (lockedRules) go where /etc/falco/locked-rules.d is listed, else in place of /etc/falco/falco_rules.yaml when lockedRules.files names them (right after it when they are the whole directory), else first; rulesOverrides follow them. customRulesConfigMaps come last.
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
     * Alerts to syslog.
     */
    syslog_output: {
      /**
       * Write alerts to syslog, as upstream; they reach the node only when /dev/log is mounted (mounts.volumes).
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
      /**
       * Timeouts in a row before Falco reports the endpoint.
       */
      max_consecutive_timeouts: number;
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
       * Serve /metrics; metrics.enabled turns it on too.
       */
      prometheus_metrics_enabled: boolean;
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
     * Write Falco logs to syslog (reaches the node only when /dev/log is mounted).
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
   * falco-airgap's overrides of the official falco-rules (/etc/falco/rules.overrides.d/falco-airgap_overrides.yaml): exceptions for known false positives appended to upstream rules and lists (Falco run from this chart's own images, Amazon EKS add-ons outside kube-system that call the API server). Loaded right after the rules files of the lock, or after /etc/falco/falco_rules.yaml, before customRules.
   */
  rulesOverrides: {
    /**
     * Load the overrides; they need falco_rules.yaml loaded before them.
     */
    enabled: boolean;
  };
  /**
   * Rules files by name, mounted in /etc/falco/rules.d and loaded after the official rules and the overrides, in byte order of their names.
   */
  customRules: {
    [k: string]: string | undefined;
  };
  /**
   * Existing ConfigMaps of rules files (made by each team, e.g. with GitOps), each mounted in /etc/falco/rules.configmaps.d/<name> and loaded last, after customRules, in byte order of their names (Go's strings.Compare: "10-base" before "9-extra" before "team-a"); Falco loads the YAML files of each one in name order.
   */
  customRulesConfigMaps: string[];
  /**
   * TLS material for the webserver (mounted at /etc/falco/certs) and for client certificates of http_output (at /etc/falco/certs/client): an existing Secret, or PEM text the chart puts into one.
   */
  certs: {
    /**
     * Secret with server.key, server.crt, falco.pem (key and certificate) and ca.crt, mounted at /etc/falco/certs.
     */
    existingSecret: string;
    /**
     * Server key and certificate, used when existingSecret is empty (with ca.crt).
     */
    server: {
      /**
       * Server private key (PEM).
       */
      key: string;
      /**
       * Server certificate (PEM).
       */
      crt: string;
    };
    /**
     * The CA certificate.
     */
    ca: {
      /**
       * CA certificate (PEM).
       */
      crt: string;
    };
    /**
     * Secret with client.key, client.crt, falcoclient.pem, ca.crt and ca.pem, mounted at /etc/falco/certs/client.
     */
    existingClientSecret: string;
    /**
     * Client key and certificate for falco.http_output.mtls, used when existingClientSecret is empty (with ca.crt).
     */
    client: {
      /**
       * Client private key (PEM).
       */
      key: string;
      /**
       * Client certificate (PEM).
       */
      crt: string;
    };
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
     * Counters of the BPF iterators of the modern eBPF driver.
     */
    kernelIterEventCountersEnabled: boolean;
    /**
     * Allocator statistics (Falco built with jemalloc).
     */
    jemallocStatsEnabled: boolean;
    /**
     * Report memory in MB.
     */
    convertMemoryToMB: boolean;
    /**
     * Report metrics whose value is zero.
     */
    includeEmptyValues: boolean;
    /**
     * Kernel event and drop counters per CPU.
     */
    kernelEventCountersPerCPUEnabled: boolean;
    /**
     * The Service Prometheus scrapes, <fullname>-metrics, labelled type: falco-metrics (metrics.enabled only).
     */
    service: {
      /**
       * Create the metrics Service.
       */
      create: boolean;
      /**
       * Service type.
       */
      type: 'ClusterIP' | 'NodePort' | 'LoadBalancer';
      /**
       * Extra labels.
       */
      labels: {
        [k: string]: string | undefined;
      };
      /**
       * Annotations.
       */
      annotations: {
        [k: string]: string | undefined;
      };
      /**
       * Ports.
       */
      ports: {
        /**
         * The metrics port (named metrics).
         */
        metrics: {
          /**
           * Service port.
           */
          port: number;
          /**
           * Container port: falco.webserver.listen_port.
           */
          targetPort: number;
          /**
           * Protocol.
           */
          protocol: 'TCP';
          /**
           * Dual-stack policy of the Service; empty means the cluster default.
           */
          ipFamilyPolicy: '' | 'SingleStack' | 'PreferDualStack' | 'RequireDualStack';
          /**
           * IP families of the Service, in order, e.g. [IPv4, IPv6].
           */
          ipFamilies: ('IPv4' | 'IPv6')[];
        };
      };
    };
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
   * A Prometheus Operator ServiceMonitor for the metrics Service (needs metrics.enabled, metrics.service.create and the monitoring.coreos.com CRDs).
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
     * Labels of the Service to scrape, merged over the metrics Service labels (for a Service of your own).
     */
    selector: {
      [k: string]: string | undefined;
    };
    /**
     * Name of the Service port to scrape.
     */
    endpointPort: string;
    /**
     * Service labels copied onto the scraped metrics.
     */
    targetLabels: string[];
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
       * Failures in a row before the kubelet acts. 30, not 20 as upstream: the start includes fetching plugins from S3 under pluginStrategy s3.
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
     * Pull secrets recorded on the ServiceAccount, after global.imagePullSecrets.
     *
     * Items: A Secret of type kubernetes.io/dockerconfigjson in the release namespace.
     */
    imagePullSecrets: {
      /**
       * Secret name.
       */
      name: string;
    }[];
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
   * OpenShift: a SecurityContextConstraints for the ServiceAccount, rendered only where the API serves security.openshift.io/v1.
   */
  scc: {
    /**
     * Create the SecurityContextConstraints on OpenShift.
     */
    create: boolean;
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
   * PriorityClass of the pods; empty or null means none.
   */
  podPriorityClassName?: string | null;
  /**
   * Hostname of the pods (spec.hostname); empty or null keeps the pod name.
   */
  podHostname?: string | null;
  /**
   * Set FALCO_HOSTNAME to the node name (the hostname in alerts); an entry for it in extra.env wins.
   */
  falcoHostnameEnv: boolean;
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
     * Extra environment variables, rendered through tpl; an entry replaces the variable of the same name the chart sets (e.g. FALCO_HOSTNAME).
     *
     * Items: An EnvVar.
     */
    env: {
      [k: string]: unknown | undefined;
    }[];
    /**
     * Extra Falco command-line arguments, appended to Falco's own in every plugin strategy, e.g. [-o, 'log_level=debug'].
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
   * The helm test hook: a pod from the Falco image asking the webserver Service for the health endpoint, scheduled with Falco's nodeSelector and tolerations.
   */
  test: {
    /**
     * Render the test pod (needs service.enabled and falco.webserver.enabled).
     */
    enabled: boolean;
    /**
     * Seconds the test pod keeps asking the health endpoint (every 2s) before the test fails.
     */
    timeoutSeconds: number;
  };
  /**
   * Falcosidekick: receives Falco's alerts over HTTP (the chart sets falco.json_output and falco.http_output for it) and posts each one to the event ingestor with the cluster's token, or to customWebhook instead. Its own ServiceAccount, without API token or role.
   */
  falcosidekick: {
    /**
     * Deploy Falcosidekick and send every alert to it.
     */
    enabled: boolean;
    image: ImageSettings;
    /**
     * Replicas behind the Service; Falco's alerts go to any one of them.
     */
    replicas: number;
    /**
     * Lowest priority forwarded; empty forwards every alert.
     */
    minimumPriority: '' | 'emergency' | 'alert' | 'critical' | 'error' | 'warning' | 'notice' | 'informational' | 'debug';
    /**
     * The central event ingestor: every alert is posted to url with "Authorization: Bearer <cluster token>", the token read from a Secret.
     */
    ingestor: {
      /**
       * Where alerts are posted; needed unless customWebhook.address is set.
       */
      url: string;
      /**
       * An existing Secret holding this cluster's token (the deployer writes one per environment).
       */
      tokenSecret: {
        /**
         * Its name; empty when token is set instead.
         */
        name: string;
        /**
         * The key holding the token.
         */
        key: string;
      };
      /**
       * The token itself; the chart puts it into the Secret <fullname>-falcosidekick-token. Prefer tokenSecret: values are kept in the helm release.
       */
      token: string;
      /**
       * Verify the ingestor's TLS certificate.
       */
      checkCert: boolean;
    };
    /**
     * Send the alerts to another webhook instead: when address is set, nothing goes to the ingestor.
     */
    customWebhook: {
      /**
       * URL alerts are posted to.
       */
      address: string;
      /**
       * Headers added to every request, e.g. {X-Api-Key: ...}; names are header tokens, values hold no "," or ":" (Falcosidekick reads them as name:value,name:value).
       */
      customHeaders: {
        [k: string]: string | undefined;
      };
      /**
       * Verify the webhook's TLS certificate.
       */
      checkCerts: boolean;
    };
    /**
     * The Service Falco posts to, <fullname>-falcosidekick.
     */
    service: {
      /**
       * Service type; alerts come from inside the cluster only.
       */
      type: 'ClusterIP';
      /**
       * Port of the Service, and the one Falcosidekick listens on (its ListenPort).
       */
      port: number;
      /**
       * Service annotations.
       */
      annotations: {
        [k: string]: string | undefined;
      };
    };
    /**
     * Its own ServiceAccount: no API token is mounted and no role is bound (the ingestor and webhook outputs need none).
     */
    serviceAccount: {
      /**
       * Name; empty means <fullname>-falcosidekick.
       */
      name: string;
      /**
       * Annotations.
       */
      annotations: {
        [k: string]: string | undefined;
      };
    };
    /**
     * More Falcosidekick settings as environment variables (its config names, e.g. CUSTOMFIELDS, or another output's); an entry replaces a variable the chart sets.
     *
     * Items: An EnvVar.
     */
    extraEnv: {
      [k: string]: unknown | undefined;
    }[];
    /**
     * Resources of the container.
     */
    resources: {
      [k: string]: unknown | undefined;
    };
    /**
     * Pod securityContext: a non-root user (the image runs as 1234) and the runtime default seccomp profile.
     */
    podSecurityContext: {
      [k: string]: unknown | undefined;
    };
    /**
     * Container securityContext: no privilege escalation, a read-only root file system, no capabilities.
     */
    securityContext: {
      [k: string]: unknown | undefined;
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
     * Node selector.
     */
    nodeSelector: {
      [k: string]: string | undefined;
    };
    /**
     * Tolerations.
     *
     * Items: A Toleration.
     */
    tolerations: {
      [k: string]: unknown | undefined;
    }[];
    /**
     * Affinity.
     */
    affinity: {
      [k: string]: unknown | undefined;
    };
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
