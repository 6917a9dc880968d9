// The core/v1 part of the schema table (notation: openapi_types.cc).
#include "api/kube/openapi_types.h"

namespace berth::api::kube {

const char* const kOpenApiCoreTypes = R"yaml(
io.k8s.api.core.v1:
  Pod:
    doc: One or more containers scheduled together on a node, sharing network and storage.
    fields:
      spec: PodSpec | What the pod runs and how.
      status: PodStatus | The pod's observed state (set by the system).
  PodSpec:
    doc: The desired state of a pod.
    fields:
      activeDeadlineSeconds: int64 | Seconds the pod may run (from its start) before it is failed.
      affinity: Affinity | Scheduling constraints relative to nodes and other pods.
      automountServiceAccountToken: boolean | Whether the service account token is mounted.
      containers: Container[]! | The containers of the pod; at least one.
      dnsConfig: PodDNSConfig | DNS settings merged with those that dnsPolicy gives.
      dnsPolicy: enum(ClusterFirstWithHostNet,ClusterFirst,Default,None) | How the pod's DNS is set up.
      enableServiceLinks: boolean | Whether services' addresses are injected as environment variables.
      ephemeralContainers: EphemeralContainer[] | Containers added to a running pod for debugging.
      hostAliases: HostAlias[] | Extra entries for the pod's /etc/hosts.
      hostIPC: boolean | Use the host's IPC namespace.
      hostNetwork: boolean | Use the host's network namespace.
      hostPID: boolean | Use the host's PID namespace.
      hostUsers: boolean | Use the host's user namespace (false gives the pod a user namespace of its own).
      hostname: string | Host name of the pod; defaults to the pod's name.
      imagePullSecrets: LocalObjectReference[] | Secrets holding registry credentials for the pod's images.
      initContainers: Container[] | Containers run to completion, in order, before the others start.
      nodeName: string | Node to run on; set by the scheduler unless given.
      nodeSelector: map[string]string | Labels a node must have for the pod to be placed on it.
      os: PodOS | Operating system the containers need.
      overhead: map[string]Quantity | Resources the pod's sandbox takes beyond its containers.
      preemptionPolicy: enum(Never,PreemptLowerPriority) | Whether the pod may preempt lower-priority pods.
      priority: integer | Scheduling priority, resolved from priorityClassName.
      priorityClassName: string | Name of the PriorityClass giving the pod's priority.
      readinessGates: PodReadinessGate[] | Extra conditions that must be true for the pod to be ready.
      resourceClaims: PodResourceClaim[] | Dynamic resource claims the pod uses.
      resources: ResourceRequirements | Resources for the whole pod (pod-level limits and requests).
      restartPolicy: enum(Always,OnFailure,Never) | When containers are restarted after they exit.
      runtimeClassName: string | RuntimeClass to run the pod with.
      schedulerName: string | Scheduler that places the pod.
      schedulingGates: PodSchedulingGate[] | Gates that keep the pod from being scheduled while present.
      securityContext: PodSecurityContext | Security settings for all containers of the pod.
      serviceAccount: string | Deprecated alias of serviceAccountName.
      serviceAccountName: string | Service account the pod runs as.
      setHostnameAsFQDN: boolean | Use the fully qualified domain name as the host name.
      shareProcessNamespace: boolean | Share one PID namespace among the containers.
      subdomain: string | Subdomain for the pod's fully qualified host name (<hostname>.<subdomain>.<namespace>.svc).
      terminationGracePeriodSeconds: int64 | Seconds between the stop signal and the kill at deletion.
      tolerations: Toleration[] | Taints the pod tolerates.
      topologySpreadConstraints: TopologySpreadConstraint[] | How the pod's replicas spread over topology domains.
      volumes: Volume[] | Volumes the containers can mount.
  Container:
    doc: A single application container of a pod.
    fields:
      args: string[] | Arguments to the entrypoint; the image's CMD if not given.
      command: string[] | Entrypoint; the image's ENTRYPOINT if not given. Not run in a shell.
      env: EnvVar[] | Environment variables to set.
      envFrom: EnvFromSource[] | Sources whose keys all become environment variables.
      image: string | Container image reference.
      imagePullPolicy: enum(Always,Never,IfNotPresent) | When the image is pulled.
      lifecycle: Lifecycle | Actions at container start and before stop.
      livenessProbe: Probe | Check whose failure restarts the container.
      name: string! | Name of the container, unique in the pod (a DNS label).
      ports: ContainerPort[] | Ports the container exposes (informational).
      readinessProbe: Probe | Check whose failure takes the pod out of service endpoints.
      resizePolicy: ContainerResizePolicy[] | What happens when resources are resized in place.
      resources: ResourceRequirements | Compute resources the container needs and may use.
      restartPolicy: enum(Always) | For init containers only, Always makes a sidecar that runs alongside the others.
      securityContext: SecurityContext | Security settings of the container.
      startupProbe: Probe | Check that must pass before the other probes start.
      stdin: boolean | Keep a stdin buffer open.
      stdinOnce: boolean | Close stdin after the first attach ends.
      terminationMessagePath: string | File whose content becomes the termination message.
      terminationMessagePolicy: enum(File,FallbackToLogsOnError) | Where the termination message comes from.
      tty: boolean | Allocate a terminal.
      volumeDevices: VolumeDevice[] | Block devices to expose.
      volumeMounts: VolumeMount[] | Volumes to mount in the container's file system.
      workingDir: string | Working directory; the image's if not given.
  EphemeralContainer:
    doc: A debugging container added to a running pod.
    like: Container
    fields:
      targetContainerName: string | Container whose namespaces the ephemeral container joins.
  ContainerPort:
    doc: A network port of a container.
    fields:
      containerPort: integer! | Port number in the pod's network namespace.
      hostIP: string | Host address to bind a host port to.
      hostPort: integer | Port on the host to expose.
      name: string | Name of the port, unique in the pod (an IANA service name).
      protocol: enum(SCTP,TCP,UDP) | Protocol; TCP by default.
  ContainerResizePolicy:
    doc: How a resource of a container is resized.
    fields:
      resourceName: string! | Resource (cpu, memory).
      restartPolicy: enum(NotRequired,RestartContainer)! | Whether a resize restarts the container.
  EnvVar:
    doc: An environment variable.
    fields:
      name: string! | Name of the variable.
      value: string | Value; $(VAR) references to earlier variables are expanded.
      valueFrom: EnvVarSource | Where the value comes from, instead of value.
  EnvVarSource:
    doc: The source of an environment variable's value.
    fields:
      configMapKeyRef: ConfigMapKeySelector | A key of a config map.
      fieldRef: ObjectFieldSelector | A field of the pod.
      resourceFieldRef: ResourceFieldSelector | A resource limit or request of a container.
      secretKeyRef: SecretKeySelector | A key of a secret.
  ConfigMapKeySelector:
    doc: Selects a key of a config map.
    fields:
      key: string! | The key.
      name: string | Name of the config map.
      optional: boolean | Whether the config map or key may be missing.
  SecretKeySelector:
    doc: Selects a key of a secret.
    fields:
      key: string! | The key.
      name: string | Name of the secret.
      optional: boolean | Whether the secret or key may be missing.
  ObjectFieldSelector:
    doc: Selects a field of the pod.
    fields:
      apiVersion: string | Version of the schema fieldPath is written in.
      fieldPath: string! | Path of the field (metadata.name, status.podIP).
  ResourceFieldSelector:
    doc: Selects a resource of a container.
    fields:
      containerName: string | Container; required for volumes.
      divisor: Quantity | Unit the value is given in.
      resource: string! | Resource (limits.cpu, requests.memory).
  EnvFromSource:
    doc: A source of several environment variables.
    fields:
      configMapRef: ConfigMapEnvSource | A config map.
      prefix: string | Prefix put in front of every key.
      secretRef: SecretEnvSource | A secret.
  ConfigMapEnvSource:
    doc: A config map whose keys become environment variables.
    fields:
      name: string | Name of the config map.
      optional: boolean | Whether the config map may be missing.
  SecretEnvSource:
    doc: A secret whose keys become environment variables.
    fields:
      name: string | Name of the secret.
      optional: boolean | Whether the secret may be missing.
  Lifecycle:
    doc: Actions the system runs at container lifecycle events.
    fields:
      postStart: LifecycleHandler | Run right after the container is created.
      preStop: LifecycleHandler | Run before the container is stopped.
  LifecycleHandler:
    doc: One lifecycle action; exactly one of its fields is set.
    fields:
      exec: ExecAction | Run a command in the container.
      httpGet: HTTPGetAction | Send an HTTP GET request.
      sleep: SleepAction | Wait some seconds.
      tcpSocket: TCPSocketAction | Deprecated; kept for compatibility.
  ExecAction:
    doc: A command run in the container.
    fields:
      command: string[] | Command line; not run in a shell. Exit status 0 is success.
  HTTPGetAction:
    doc: An HTTP GET request.
    fields:
      host: string | Host to connect to; the pod's IP by default.
      httpHeaders: HTTPHeader[] | Headers to send.
      path: string | Path to request.
      port: IntOrString! | Port number or name.
      scheme: enum(HTTP,HTTPS) | Scheme; HTTP by default.
  HTTPHeader:
    doc: An HTTP header.
    fields:
      name: string! | Header name.
      value: string! | Header value.
  TCPSocketAction:
    doc: A TCP connection attempt.
    fields:
      host: string | Host to connect to; the pod's IP by default.
      port: IntOrString! | Port number or name.
  GRPCAction:
    doc: A gRPC health check.
    fields:
      port: integer! | Port of the gRPC service.
      service: string | Service name sent in the health check request.
  SleepAction:
    doc: A pause.
    fields:
      seconds: int64! | Seconds to sleep.
  Probe:
    doc: A health check run against a container.
    fields:
      exec: ExecAction | Run a command.
      failureThreshold: integer | Consecutive failures that count as failed; 3 by default.
      grpc: GRPCAction | Call a gRPC health check.
      httpGet: HTTPGetAction | Send an HTTP GET request; 2xx and 3xx are success.
      initialDelaySeconds: integer | Seconds after the start before the first check.
      periodSeconds: integer | Seconds between checks; 10 by default.
      successThreshold: integer | Consecutive successes that count as passed; 1 by default.
      tcpSocket: TCPSocketAction | Open a TCP connection.
      terminationGracePeriodSeconds: int64 | Grace period used when the probe's failure kills the container.
      timeoutSeconds: integer | Seconds after which a check times out; 1 by default.
  ResourceRequirements:
    doc: Compute resources needed (requests) and allowed (limits).
    fields:
      claims: ResourceClaim[] | Dynamic resource claims of the pod that this container uses.
      limits: map[string]Quantity | Most of each resource that may be used.
      requests: map[string]Quantity | Least of each resource needed; used for scheduling.
  ResourceClaim:
    doc: Names a resource claim of the pod.
    fields:
      name: string! | Name of the claim in pod.spec.resourceClaims.
      request: string | Request of the claim to use.
  SecurityContext:
    doc: Security settings of a container; they win over the pod's.
    fields:
      allowPrivilegeEscalation: boolean | Whether a process can gain more privileges than its parent (no_new_privs).
      appArmorProfile: AppArmorProfile | AppArmor profile.
      capabilities: Capabilities | Capabilities to add and drop.
      privileged: boolean | Run as privileged (like root on the host).
      procMount: enum(Default,Unmasked) | How /proc is mounted.
      readOnlyRootFilesystem: boolean | Mount the root file system read-only.
      runAsGroup: int64 | GID of the container's process.
      runAsNonRoot: boolean | Refuse to start the container as UID 0.
      runAsUser: int64 | UID of the container's process.
      seLinuxOptions: SELinuxOptions | SELinux context.
      seccompProfile: SeccompProfile | Seccomp profile.
      windowsOptions: WindowsSecurityContextOptions | Windows-specific settings.
  PodSecurityContext:
    doc: Security settings for all containers of a pod.
    fields:
      appArmorProfile: AppArmorProfile | AppArmor profile.
      fsGroup: int64 | Group that owns the volumes and is added to every container's groups.
      fsGroupChangePolicy: enum(OnRootMismatch,Always) | When volume ownership is changed to fsGroup.
      runAsGroup: int64 | GID of the containers' processes.
      runAsNonRoot: boolean | Refuse to start containers as UID 0.
      runAsUser: int64 | UID of the containers' processes.
      seLinuxChangePolicy: string | How the SELinux label is applied to volumes.
      seLinuxOptions: SELinuxOptions | SELinux context.
      seccompProfile: SeccompProfile | Seccomp profile.
      supplementalGroups: int64[] | Extra groups of the containers' first process.
      supplementalGroupsPolicy: enum(Merge,Strict) | How the supplemental groups are computed.
      sysctls: Sysctl[] | Namespaced kernel parameters to set.
      windowsOptions: WindowsSecurityContextOptions | Windows-specific settings.
  Capabilities:
    doc: Linux capabilities to add and drop.
    fields:
      add: string[] | Capabilities to add.
      drop: string[] | Capabilities to drop.
  SELinuxOptions:
    doc: An SELinux label.
    fields:
      level: string | SELinux level.
      role: string | SELinux role.
      type: string | SELinux type.
      user: string | SELinux user.
  SeccompProfile:
    doc: A seccomp profile.
    fields:
      localhostProfile: string | Profile file on the node, for type Localhost.
      type: enum(Localhost,RuntimeDefault,Unconfined)! | Kind of profile.
  AppArmorProfile:
    doc: An AppArmor profile.
    fields:
      localhostProfile: string | Profile loaded on the node, for type Localhost.
      type: enum(Localhost,RuntimeDefault,Unconfined)! | Kind of profile.
  WindowsSecurityContextOptions:
    doc: Windows-specific security settings.
    fields:
      gmsaCredentialSpec: string | GMSA credential spec content.
      gmsaCredentialSpecName: string | Name of the GMSA credential spec.
      hostProcess: boolean | Run as a host process container.
      runAsUserName: string | User name of the entrypoint.
  Sysctl:
    doc: A kernel parameter.
    fields:
      name: string! | Name of the parameter.
      value: string! | Value to set.
  VolumeDevice:
    doc: A block device in a container.
    fields:
      devicePath: string! | Path of the device in the container.
      name: string! | Name of a persistentVolumeClaim volume of the pod.
  VolumeMount:
    doc: A volume mounted in a container.
    fields:
      mountPath: string! | Path in the container to mount at.
      mountPropagation: enum(None,HostToContainer,Bidirectional) | How mounts propagate between host and container.
      name: string! | Name of a volume of the pod.
      readOnly: boolean | Mount read-only.
      recursiveReadOnly: enum(Disabled,IfPossible,Enabled) | Whether read-only applies to submounts too.
      subPath: string | Path inside the volume to mount instead of its root.
      subPathExpr: string | Like subPath, with $(VAR) environment references expanded.
  PodDNSConfig:
    doc: DNS settings of a pod.
    fields:
      nameservers: string[] | Name server addresses.
      options: PodDNSConfigOption[] | Resolver options.
      searches: string[] | Search domains.
  PodDNSConfigOption:
    doc: A resolver option.
    fields:
      name: string | Option name.
      value: string | Option value.
  HostAlias:
    doc: An /etc/hosts entry.
    fields:
      hostnames: string[] | Host names for the address.
      ip: string! | The address.
  LocalObjectReference:
    doc: Names an object in the same namespace.
    fields:
      name: string | Name of the object.
  PodOS:
    doc: The operating system of a pod.
    fields:
      name: enum(linux,windows)! | Operating system name.
  PodReadinessGate:
    doc: A condition that must be true for the pod to be ready.
    fields:
      conditionType: string! | Type of a condition in the pod's conditions.
  PodResourceClaim:
    doc: A dynamic resource claim of a pod.
    fields:
      name: string! | Name of the claim in the pod.
      resourceClaimName: string | Existing ResourceClaim to use.
      resourceClaimTemplateName: string | ResourceClaimTemplate to make a claim from.
  PodSchedulingGate:
    doc: A gate that holds the pod back from scheduling.
    fields:
      name: string! | Name of the gate.
  Toleration:
    doc: Lets a pod be placed on (or stay on) nodes with a matching taint.
    fields:
      effect: enum(NoSchedule,PreferNoSchedule,NoExecute) | Taint effect to match; all effects when empty.
      key: string | Taint key to match; all keys when empty (with operator Exists).
      operator: enum(Exists,Equal) | How the key relates to the value; Equal by default.
      tolerationSeconds: int64 | For NoExecute, how long the pod stays after the taint appears.
      value: string | Taint value to match.
  TopologySpreadConstraint:
    doc: How matching pods spread over a topology (zones, nodes).
    fields:
      labelSelector: LabelSelector | Pods counted in each domain.
      matchLabelKeys: string[] | Labels of the incoming pod added to the selector.
      maxSkew: integer! | Largest allowed difference between domains' pod counts.
      minDomains: integer | Least number of eligible domains.
      nodeAffinityPolicy: enum(Honor,Ignore) | Whether node affinity limits the domains.
      nodeTaintsPolicy: enum(Honor,Ignore) | Whether node taints limit the domains.
      topologyKey: string! | Node label whose values are the domains.
      whenUnsatisfiable: enum(DoNotSchedule,ScheduleAnyway)! | What to do when the constraint cannot be met.
  Affinity:
    doc: Scheduling constraints of a pod.
    fields:
      nodeAffinity: NodeAffinity | Which nodes the pod goes to.
      podAffinity: PodAffinity | Pods to be placed near.
      podAntiAffinity: PodAntiAffinity | Pods to keep away from.
  NodeAffinity:
    doc: Node constraints of a pod.
    fields:
      preferredDuringSchedulingIgnoredDuringExecution: PreferredSchedulingTerm[] | Weighted preferences.
      requiredDuringSchedulingIgnoredDuringExecution: NodeSelector | Requirements a node must meet.
  NodeSelector:
    doc: Terms of which at least one must match a node.
    fields:
      nodeSelectorTerms: NodeSelectorTerm[]! | The terms (ORed).
  NodeSelectorTerm:
    doc: Requirements that must all match a node.
    fields:
      matchExpressions: NodeSelectorRequirement[] | Requirements on node labels.
      matchFields: NodeSelectorRequirement[] | Requirements on node fields.
  NodeSelectorRequirement:
    doc: A requirement on a node label or field.
    fields:
      key: string! | Label key or field name.
      operator: enum(In,NotIn,Exists,DoesNotExist,Gt,Lt)! | How the key relates to the values.
      values: string[] | Values to compare with.
  PreferredSchedulingTerm:
    doc: A weighted node preference.
    fields:
      preference: NodeSelectorTerm! | Term a preferred node matches.
      weight: integer! | Weight, 1 to 100.
  PodAffinity:
    doc: Pods a pod should be placed near.
    fields:
      preferredDuringSchedulingIgnoredDuringExecution: WeightedPodAffinityTerm[] | Weighted preferences.
      requiredDuringSchedulingIgnoredDuringExecution: PodAffinityTerm[] | Requirements.
  PodAntiAffinity:
    doc: Pods a pod should be kept away from.
    fields:
      preferredDuringSchedulingIgnoredDuringExecution: WeightedPodAffinityTerm[] | Weighted preferences.
      requiredDuringSchedulingIgnoredDuringExecution: PodAffinityTerm[] | Requirements.
  PodAffinityTerm:
    doc: Pods (by label) in a topology domain.
    fields:
      labelSelector: LabelSelector | Pods that count.
      matchLabelKeys: string[] | Labels of the incoming pod whose values must match.
      mismatchLabelKeys: string[] | Labels of the incoming pod whose values must differ.
      namespaceSelector: LabelSelector | Namespaces searched, by label.
      namespaces: string[] | Namespaces searched, by name; the pod's own by default.
      topologyKey: string! | Node label whose values are the domains.
  WeightedPodAffinityTerm:
    doc: A weighted pod (anti-)affinity preference.
    fields:
      podAffinityTerm: PodAffinityTerm! | The term.
      weight: integer! | Weight, 1 to 100.
  Volume:
    doc: A named volume that containers of the pod can mount. One source is set.
    fields:
      name: string! | Name of the volume, unique in the pod (a DNS label).
      configMap: ConfigMapVolumeSource | A config map's keys as files.
      csi: CSIVolumeSource | An ephemeral volume from a CSI driver.
      downwardAPI: DownwardAPIVolumeSource | Pod information as files.
      emptyDir: EmptyDirVolumeSource | An empty directory that lives as long as the pod.
      ephemeral: EphemeralVolumeSource | A volume from a claim made for the pod and deleted with it.
      hostPath: HostPathVolumeSource | A file or directory of the node.
      image: ImageVolumeSource | The content of an OCI image, read-only.
      nfs: NFSVolumeSource | An NFS export.
      persistentVolumeClaim: PersistentVolumeClaimVolumeSource | A persistent volume claim in the pod's namespace.
      projected: ProjectedVolumeSource | Several sources in one directory.
      secret: SecretVolumeSource | A secret's keys as files.
      awsElasticBlockStore: free | Deprecated in-tree AWS EBS volume.
      azureDisk: free | Deprecated in-tree Azure disk.
      azureFile: free | Deprecated in-tree Azure file share.
      cephfs: free | CephFS mount.
      cinder: free | Deprecated in-tree OpenStack Cinder volume.
      fc: free | Fibre Channel volume.
      flexVolume: free | Deprecated FlexVolume driver volume.
      flocker: free | Flocker volume.
      gcePersistentDisk: free | Deprecated in-tree GCE persistent disk.
      gitRepo: free | Deprecated git checkout.
      glusterfs: free | GlusterFS mount.
      iscsi: free | iSCSI disk.
      photonPersistentDisk: free | Photon persistent disk.
      portworxVolume: free | Portworx volume.
      quobyte: free | Quobyte mount.
      rbd: free | Ceph RBD image.
      scaleIO: free | ScaleIO volume.
      storageos: free | StorageOS volume.
      vsphereVolume: free | Deprecated in-tree vSphere volume.
  ConfigMapVolumeSource:
    doc: A config map's keys as files.
    fields:
      defaultMode: integer | Mode bits of the files; 0644 by default.
      items: KeyToPath[] | Keys to project and their paths; all keys when empty.
      name: string | Name of the config map.
      optional: boolean | Whether the config map may be missing.
  SecretVolumeSource:
    doc: A secret's keys as files.
    fields:
      defaultMode: integer | Mode bits of the files; 0644 by default.
      items: KeyToPath[] | Keys to project and their paths; all keys when empty.
      optional: boolean | Whether the secret may be missing.
      secretName: string | Name of the secret.
  KeyToPath:
    doc: A key projected to a file.
    fields:
      key: string! | The key.
      mode: integer | Mode bits of the file.
      path: string! | Relative path of the file.
  DownwardAPIVolumeSource:
    doc: Pod information as files.
    fields:
      defaultMode: integer | Mode bits of the files; 0644 by default.
      items: DownwardAPIVolumeFile[] | The files.
  DownwardAPIVolumeFile:
    doc: A file holding a pod field or a container resource.
    fields:
      fieldRef: ObjectFieldSelector | A pod field.
      mode: integer | Mode bits of the file.
      path: string! | Relative path of the file.
      resourceFieldRef: ResourceFieldSelector | A container resource.
  EmptyDirVolumeSource:
    doc: An empty directory for the pod's lifetime.
    fields:
      medium: string | Storage medium; "" is the node's disk, Memory a tmpfs.
      sizeLimit: Quantity | Most space the volume may use.
  HostPathVolumeSource:
    doc: A path of the node.
    fields:
      path: string! | Path on the node.
      type: enum(,DirectoryOrCreate,Directory,FileOrCreate,File,Socket,CharDevice,BlockDevice) | What must be at the path.
  ImageVolumeSource:
    doc: An OCI image or artifact mounted read-only.
    fields:
      pullPolicy: enum(Always,Never,IfNotPresent) | When the image is pulled.
      reference: string | Image reference.
  NFSVolumeSource:
    doc: An NFS export.
    fields:
      path: string! | Exported path.
      readOnly: boolean | Mount read-only.
      server: string! | Server host name or address.
  PersistentVolumeClaimVolumeSource:
    doc: A persistent volume claim used as a volume.
    fields:
      claimName: string! | Name of the claim in the pod's namespace.
      readOnly: boolean | Mount read-only.
  CSIVolumeSource:
    doc: An ephemeral volume from a CSI driver.
    fields:
      driver: string! | Name of the CSI driver.
      fsType: string | File system type.
      nodePublishSecretRef: LocalObjectReference | Secret passed to the driver.
      readOnly: boolean | Mount read-only.
      volumeAttributes: map[string]string | Driver-specific attributes.
  EphemeralVolumeSource:
    doc: A volume whose claim is made for the pod and goes with it.
    fields:
      volumeClaimTemplate: PersistentVolumeClaimTemplate | Template of the claim.
  PersistentVolumeClaimTemplate:
    doc: Template of a persistent volume claim.
    fields:
      metadata: ObjectMeta | Labels and annotations for the claim.
      spec: PersistentVolumeClaimSpec! | Spec of the claim.
  ProjectedVolumeSource:
    doc: Several sources projected into one directory.
    fields:
      defaultMode: integer | Mode bits of the files.
      sources: VolumeProjection[] | The sources.
  VolumeProjection:
    doc: One source of a projected volume.
    fields:
      clusterTrustBundle: free | Certificates of ClusterTrustBundle objects.
      configMap: ConfigMapProjection | Keys of a config map.
      downwardAPI: DownwardAPIProjection | Pod information.
      secret: SecretProjection | Keys of a secret.
      serviceAccountToken: ServiceAccountTokenProjection | A service account token.
  ConfigMapProjection:
    doc: Keys of a config map in a projected volume.
    fields:
      items: KeyToPath[] | Keys and their paths; all keys when empty.
      name: string | Name of the config map.
      optional: boolean | Whether the config map may be missing.
  SecretProjection:
    doc: Keys of a secret in a projected volume.
    fields:
      items: KeyToPath[] | Keys and their paths; all keys when empty.
      name: string | Name of the secret.
      optional: boolean | Whether the secret may be missing.
  DownwardAPIProjection:
    doc: Pod information in a projected volume.
    fields:
      items: DownwardAPIVolumeFile[] | The files.
  ServiceAccountTokenProjection:
    doc: A service account token in a projected volume.
    fields:
      audience: string | Intended audience of the token.
      expirationSeconds: int64 | Requested lifetime of the token.
      path: string! | Relative path of the token file.
  PodStatus:
    doc: The observed state of a pod.
    fields:
      conditions: PodCondition[] | Current conditions (PodScheduled, Initialized, ContainersReady, Ready).
      containerStatuses: ContainerStatus[] | Status of each container.
      ephemeralContainerStatuses: ContainerStatus[] | Status of each ephemeral container.
      hostIP: string | Address of the node the pod runs on.
      hostIPs: HostIP[] | Addresses of the node.
      initContainerStatuses: ContainerStatus[] | Status of each init container.
      message: string | Why the pod is in this state.
      nominatedNodeName: string | Node the pod may go to after preemption.
      phase: enum(Pending,Running,Succeeded,Failed,Unknown) | Summary of where the pod is in its lifecycle.
      podIP: string | Address of the pod.
      podIPs: PodIP[] | Addresses of the pod.
      qosClass: enum(Guaranteed,Burstable,BestEffort) | Quality of service class from the resources.
      reason: string | Short CamelCase reason for the state.
      resize: string | Status of an in-place resize.
      resourceClaimStatuses: free[] | Names of the claims made for the pod.
      startTime: Time | When the node acknowledged the pod.
  PodCondition:
    doc: A condition of a pod.
    fields:
      lastProbeTime: Time | When the condition was last checked.
      lastTransitionTime: Time | When the status last changed.
      message: string | Human-readable details.
      reason: string | CamelCase reason for the last transition.
      status: enum(True,False,Unknown)! | Status of the condition.
      type: string! | Type of the condition.
  PodIP:
    doc: An address of a pod.
    fields:
      ip: string! | The address.
  HostIP:
    doc: An address of a node.
    fields:
      ip: string! | The address.
  ContainerStatus:
    doc: The observed state of a container.
    fields:
      allocatedResources: map[string]Quantity | Resources the node allocated to the container.
      allocatedResourcesStatus: free[] | Health of allocated resources.
      containerID: string | ID of the container in the runtime (<type>://<id>).
      image: string! | Image the container runs.
      imageID: string! | ID of that image.
      lastState: ContainerState | State of the previous run.
      name: string! | Name of the container.
      ready: boolean! | Whether the readiness probe passes.
      resources: ResourceRequirements | Resources currently applied.
      restartCount: integer! | How many times the container restarted.
      started: boolean | Whether the startup probe passed.
      state: ContainerState | Current state.
      user: free | Identity of the container's first process.
      volumeMounts: free[] | Mounts of the container.
  ContainerState:
    doc: The state of a container; one field is set.
    fields:
      running: ContainerStateRunning | The container runs.
      terminated: ContainerStateTerminated | The container exited.
      waiting: ContainerStateWaiting | The container is not running yet.
  ContainerStateRunning:
    doc: A running container.
    fields:
      startedAt: Time | When it last started.
  ContainerStateTerminated:
    doc: An exited container.
    fields:
      containerID: string | ID of the container.
      exitCode: integer! | Exit status.
      finishedAt: Time | When it exited.
      message: string | Details.
      reason: string | Short reason.
      signal: integer | Signal that ended it.
      startedAt: Time | When it started.
  ContainerStateWaiting:
    doc: A container that is not running yet.
    fields:
      message: string | Details.
      reason: string | Short reason (ContainerCreating, ImagePullBackOff, CrashLoopBackOff).
  PodTemplateSpec:
    doc: The template from which pods are made.
    fields:
      metadata: ObjectMeta | Labels and annotations of the pods.
      spec: PodSpec | Spec of the pods.
  ObjectReference:
    doc: Names an object of any kind.
    fields:
      apiVersion: string | API version of the object.
      fieldPath: string | Part of the object meant (spec.containers{name}).
      kind: string | Kind of the object.
      name: string | Name of the object.
      namespace: string | Namespace of the object.
      resourceVersion: string | Resource version of the object.
      uid: string | UID of the object.
  TypedLocalObjectReference:
    doc: Names an object of a kind in the same namespace.
    fields:
      apiGroup: string | API group of the kind; the core group when empty.
      kind: string! | Kind of the object.
      name: string! | Name of the object.
  TypedObjectReference:
    doc: Names an object of a kind, possibly in another namespace.
    fields:
      apiGroup: string | API group of the kind; the core group when empty.
      kind: string! | Kind of the object.
      name: string! | Name of the object.
      namespace: string | Namespace of the object.
  SecretReference:
    doc: Names a secret in any namespace.
    fields:
      name: string | Name of the secret.
      namespace: string | Namespace of the secret.

  Service:
    doc: A stable address and name for a set of pods, with load balancing over them.
    fields:
      spec: ServiceSpec | What the service exposes and how.
      status: ServiceStatus | The observed state (load balancer addresses).
  ServiceSpec:
    doc: The desired state of a service.
    fields:
      allocateLoadBalancerNodePorts: boolean | Whether a LoadBalancer service gets node ports.
      clusterIP: string | Virtual address of the service; None makes a headless service.
      clusterIPs: string[] | Virtual addresses, one per IP family.
      externalIPs: string[] | Extra addresses on which nodes accept the service's traffic.
      externalName: string | DNS name an ExternalName service points to.
      externalTrafficPolicy: enum(Cluster,Local) | Whether external traffic may go to other nodes' endpoints.
      healthCheckNodePort: integer | Node port of the health check for Local traffic policy.
      internalTrafficPolicy: enum(Cluster,Local) | Whether in-cluster traffic may go to other nodes' endpoints.
      ipFamilies: string[] | IP families of the service (IPv4, IPv6).
      ipFamilyPolicy: enum(SingleStack,PreferDualStack,RequireDualStack) | Whether the service is dual-stack.
      loadBalancerClass: string | Load balancer implementation to use.
      loadBalancerIP: string | Deprecated; requested load balancer address.
      loadBalancerSourceRanges: string[] | Client ranges allowed through the load balancer.
      ports: ServicePort[] | Ports the service exposes.
      publishNotReadyAddresses: boolean | Publish endpoints of pods that are not ready.
      selector: map[string]string | Labels of the pods traffic goes to.
      sessionAffinity: enum(ClientIP,None) | Keep a client on the same endpoint.
      sessionAffinityConfig: SessionAffinityConfig | Settings of session affinity.
      trafficDistribution: string | Preference for how traffic spreads over endpoints (PreferClose).
      type: enum(ClusterIP,NodePort,LoadBalancer,ExternalName) | How the service is exposed.
  ServicePort:
    doc: A port of a service.
    fields:
      appProtocol: string | Application protocol of the port.
      name: string | Name of the port, unique in the service; required with several ports.
      nodePort: integer | Port on every node (NodePort and LoadBalancer services).
      port: integer! | Port the service exposes.
      protocol: enum(SCTP,TCP,UDP) | Protocol; TCP by default.
      targetPort: IntOrString | Port number or name on the pods; the same as port by default.
  SessionAffinityConfig:
    doc: Settings of session affinity.
    fields:
      clientIP: ClientIPConfig | Settings of ClientIP affinity.
  ClientIPConfig:
    doc: Settings of ClientIP affinity.
    fields:
      timeoutSeconds: integer | Seconds a client sticks to an endpoint.
  ServiceStatus:
    doc: The observed state of a service.
    fields:
      conditions: Condition[] | Current conditions.
      loadBalancer: LoadBalancerStatus | The load balancer, if any.
  LoadBalancerStatus:
    doc: The status of a load balancer.
    fields:
      ingress: LoadBalancerIngress[] | Addresses of the load balancer.
  LoadBalancerIngress:
    doc: An address of a load balancer.
    fields:
      hostname: string | Host name.
      ip: string | Address.
      ipMode: enum(VIP,Proxy) | How traffic reaches the nodes.
      ports: PortStatus[] | Status of the ports.
  PortStatus:
    doc: The status of a port.
    fields:
      error: string | Problem with the port, if any.
      port: integer! | Port number.
      protocol: enum(SCTP,TCP,UDP)! | Protocol.

  Endpoints:
    doc: The addresses behind a service (superseded by EndpointSlice).
    fields:
      subsets: EndpointSubset[] | Sets of addresses with the same ports.
  EndpointSubset:
    doc: Addresses that share the same ports.
    fields:
      addresses: EndpointAddress[] | Addresses that are ready.
      notReadyAddresses: EndpointAddress[] | Addresses that are not ready.
      ports: EndpointPort[] | Ports of the addresses.
  EndpointAddress:
    doc: One endpoint's address.
    fields:
      hostname: string | Host name of the endpoint.
      ip: string! | Address of the endpoint.
      nodeName: string | Node the endpoint is on.
      targetRef: ObjectReference | Object (usually a pod) behind the address.
  EndpointPort:
    doc: A port of endpoints.
    fields:
      appProtocol: string | Application protocol.
      name: string | Name, matching the service port's.
      port: integer! | Port number.
      protocol: enum(SCTP,TCP,UDP) | Protocol.

  ConfigMap:
    doc: Non-secret configuration data as key/value pairs.
    fields:
      binaryData: map[string]string | Binary values, base64-encoded.
      data: map[string]string | Text values.
      immutable: boolean | If true, the data cannot be changed.
  Secret:
    doc: Secret data (passwords, tokens, keys) as key/value pairs.
    fields:
      data: map[string]string | Values, base64-encoded.
      immutable: boolean | If true, the data cannot be changed.
      stringData: map[string]string | Plain-text values, written into data (write-only).
      type: string | Type of the secret (Opaque, kubernetes.io/tls, kubernetes.io/dockerconfigjson).
  Namespace:
    doc: A scope for names; most objects live in a namespace.
    fields:
      spec: NamespaceSpec | Finalizers of the namespace.
      status: NamespaceStatus | Phase of the namespace.
  NamespaceSpec:
    doc: The desired state of a namespace.
    fields:
      finalizers: string[] | What must happen before the namespace is removed.
  NamespaceStatus:
    doc: The observed state of a namespace.
    fields:
      conditions: NamespaceCondition[] | Current conditions.
      phase: enum(Active,Terminating) | Whether the namespace is in use or going away.
  NamespaceCondition:
    doc: A condition of a namespace.
    fields:
      lastTransitionTime: Time | When the status last changed.
      message: string | Details.
      reason: string | Reason.
      status: enum(True,False,Unknown)! | Status of the condition.
      type: string! | Type of the condition.
  ServiceAccount:
    doc: An identity for processes that run in pods.
    fields:
      automountServiceAccountToken: boolean | Whether pods get this account's token mounted.
      imagePullSecrets: LocalObjectReference[] | Registry credentials for pods using this account.
      secrets: ObjectReference[] | Secrets pods using this account may use (legacy).

  Node:
    doc: A machine that runs pods.
    fields:
      spec: NodeSpec | How the node is configured.
      status: NodeStatus | The observed state of the node.
  NodeSpec:
    doc: The desired state of a node.
    fields:
      configSource: free | Deprecated dynamic kubelet configuration.
      externalID: string | Deprecated.
      podCIDR: string | Pod address range of the node.
      podCIDRs: string[] | Pod address ranges, one per IP family.
      providerID: string | ID of the node at its cloud provider.
      taints: Taint[] | Taints that repel pods without a matching toleration.
      unschedulable: boolean | Keep new pods off the node (cordon).
  Taint:
    doc: A mark on a node that repels pods without a matching toleration.
    fields:
      effect: enum(NoSchedule,PreferNoSchedule,NoExecute)! | What happens to pods that do not tolerate it.
      key: string! | Taint key.
      timeAdded: Time | When a NoExecute taint was added.
      value: string | Taint value.
  NodeStatus:
    doc: The observed state of a node.
    fields:
      addresses: NodeAddress[] | Addresses of the node.
      allocatable: map[string]Quantity | Resources available to pods.
      capacity: map[string]Quantity | Total resources of the node.
      conditions: NodeCondition[] | Current conditions (Ready, MemoryPressure, DiskPressure, PIDPressure).
      config: free | Deprecated dynamic configuration status.
      daemonEndpoints: NodeDaemonEndpoints | Ports of the node's daemons.
      features: free | Features the node supports.
      images: ContainerImage[] | Images on the node.
      nodeInfo: NodeSystemInfo | Versions and IDs of the node.
      phase: string | Deprecated.
      runtimeHandlers: free[] | Runtime handlers of the node.
      volumesAttached: AttachedVolume[] | Volumes attached to the node.
      volumesInUse: string[] | Volumes in use on the node.
  NodeAddress:
    doc: An address of a node.
    fields:
      address: string! | The address.
      type: enum(Hostname,InternalIP,ExternalIP,InternalDNS,ExternalDNS)! | Kind of address.
  NodeCondition:
    doc: A condition of a node.
    fields:
      lastHeartbeatTime: Time | When the condition was last reported.
      lastTransitionTime: Time | When the status last changed.
      message: string | Details.
      reason: string | Reason.
      status: enum(True,False,Unknown)! | Status of the condition.
      type: string! | Type of the condition.
  NodeDaemonEndpoints:
    doc: Ports of the daemons on a node.
    fields:
      kubeletEndpoint: DaemonEndpoint | The kubelet's port.
  DaemonEndpoint:
    doc: A daemon's port.
    fields:
      Port: integer! | Port number.
  ContainerImage:
    doc: An image on a node.
    fields:
      names: string[] | Names of the image.
      sizeBytes: int64 | Size of the image.
  NodeSystemInfo:
    doc: Versions and IDs of a node.
    fields:
      architecture: string! | CPU architecture.
      bootID: string! | Boot ID.
      containerRuntimeVersion: string! | Container runtime and version.
      kernelVersion: string! | Kernel version.
      kubeProxyVersion: string! | Deprecated.
      kubeletVersion: string! | Kubelet version.
      machineID: string! | Machine ID.
      operatingSystem: string! | Operating system.
      osImage: string! | OS image (distribution).
      systemUUID: string! | System UUID.
  AttachedVolume:
    doc: A volume attached to a node.
    fields:
      devicePath: string! | Where the volume is available.
      name: string! | Name of the volume.

  Event:
    doc: A report of something that happened to an object.
    fields:
      metadata: ObjectMeta! | Standard object metadata.
      action: string | What was done, or failed.
      count: integer | How many times the event occurred.
      eventTime: MicroTime | When the event was first seen, precisely.
      firstTimestamp: Time | When the event was first recorded.
      involvedObject: ObjectReference! | The object the event is about.
      lastTimestamp: Time | When the event was last recorded.
      message: string | Human-readable description.
      reason: string | Short CamelCase reason.
      related: ObjectReference | A second object involved.
      reportingComponent: string | Controller that emitted the event.
      reportingInstance: string | Instance of that controller.
      series: EventSeries | Data of a series of repeated events.
      source: EventSource | Component that reported the event.
      type: enum(Normal,Warning) | Type of event.
  EventSeries:
    doc: A series of repeated events.
    fields:
      count: integer | Occurrences in the series.
      lastObservedTime: MicroTime | When the last occurrence was seen.
  EventSource:
    doc: The reporter of an event.
    fields:
      component: string | Component name.
      host: string | Node name.

  PersistentVolume:
    doc: A piece of storage in the cluster, provisioned by an administrator or a storage class.
    fields:
      spec: PersistentVolumeSpec | What the volume is and how it may be used.
      status: PersistentVolumeStatus | The observed state of the volume.
  PersistentVolumeSpec:
    doc: The desired state of a persistent volume. One source is set.
    fields:
      accessModes: string[] | How the volume can be mounted (ReadWriteOnce, ReadOnlyMany, ReadWriteMany, ReadWriteOncePod).
      capacity: map[string]Quantity | Size of the volume (storage).
      claimRef: ObjectReference | The claim bound to the volume.
      csi: free | A volume of a CSI driver.
      hostPath: HostPathVolumeSource | A path of the node (single-node testing only).
      local: LocalVolumeSource | A local disk or directory of a node.
      mountOptions: string[] | Mount options.
      nfs: NFSVolumeSource | An NFS export.
      nodeAffinity: VolumeNodeAffinity | Nodes the volume can be used from.
      persistentVolumeReclaimPolicy: enum(Retain,Delete,Recycle) | What happens to the volume when its claim goes.
      storageClassName: string | Storage class of the volume.
      volumeAttributesClassName: string | VolumeAttributesClass of the volume.
      volumeMode: enum(Filesystem,Block) | Whether the volume is a file system or a raw block device.
      awsElasticBlockStore: free | Deprecated in-tree AWS EBS volume.
      azureDisk: free | Deprecated in-tree Azure disk.
      azureFile: free | Deprecated in-tree Azure file share.
      cephfs: free | CephFS mount.
      cinder: free | Deprecated in-tree OpenStack Cinder volume.
      fc: free | Fibre Channel volume.
      flexVolume: free | Deprecated FlexVolume driver volume.
      flocker: free | Flocker volume.
      gcePersistentDisk: free | Deprecated in-tree GCE persistent disk.
      glusterfs: free | GlusterFS mount.
      iscsi: free | iSCSI disk.
      photonPersistentDisk: free | Photon persistent disk.
      portworxVolume: free | Portworx volume.
      quobyte: free | Quobyte mount.
      rbd: free | Ceph RBD image.
      scaleIO: free | ScaleIO volume.
      storageos: free | StorageOS volume.
      vsphereVolume: free | Deprecated in-tree vSphere volume.
  LocalVolumeSource:
    doc: A local disk or directory.
    fields:
      fsType: string | File system type, for block devices.
      path: string! | Path on the node.
  VolumeNodeAffinity:
    doc: Nodes from which a volume can be used.
    fields:
      required: NodeSelector | Nodes that qualify.
  PersistentVolumeStatus:
    doc: The observed state of a persistent volume.
    fields:
      lastPhaseTransitionTime: Time | When the phase last changed.
      message: string | Details.
      phase: enum(Pending,Available,Bound,Released,Failed) | Where the volume is in its lifecycle.
      reason: string | Reason for a failure.
  PersistentVolumeClaim:
    doc: A request for storage by a user, bound to a persistent volume.
    fields:
      spec: PersistentVolumeClaimSpec | What storage is requested.
      status: PersistentVolumeClaimStatus | The observed state of the claim.
  PersistentVolumeClaimSpec:
    doc: The desired state of a persistent volume claim.
    fields:
      accessModes: string[] | Access modes the volume must have.
      dataSource: TypedLocalObjectReference | Object to fill the volume from (a snapshot or claim).
      dataSourceRef: TypedObjectReference | Like dataSource, for any populator.
      resources: VolumeResourceRequirements | How much storage.
      selector: LabelSelector | Volumes that may be bound.
      storageClassName: string | Storage class to use.
      volumeAttributesClassName: string | VolumeAttributesClass to use.
      volumeMode: enum(Filesystem,Block) | Whether a file system or a raw block device.
      volumeName: string | Name of a volume to bind to.
  VolumeResourceRequirements:
    doc: The storage a claim needs.
    fields:
      limits: map[string]Quantity | Most storage.
      requests: map[string]Quantity | Least storage (storage).
  PersistentVolumeClaimStatus:
    doc: The observed state of a persistent volume claim.
    fields:
      accessModes: string[] | Access modes of the bound volume.
      allocatedResourceStatuses: map[string]string | State of resize operations.
      allocatedResources: map[string]Quantity | Resources allocated, when resizing.
      capacity: map[string]Quantity | Size of the bound volume.
      conditions: PersistentVolumeClaimCondition[] | Current conditions.
      currentVolumeAttributesClassName: string | VolumeAttributesClass in use.
      modifyVolumeStatus: free | State of a volume modification.
      phase: enum(Pending,Bound,Lost) | Where the claim is in its lifecycle.
  PersistentVolumeClaimCondition:
    doc: A condition of a persistent volume claim.
    fields:
      lastProbeTime: Time | When the condition was last checked.
      lastTransitionTime: Time | When the status last changed.
      message: string | Details.
      reason: string | Reason.
      status: enum(True,False,Unknown)! | Status of the condition.
      type: string! | Type of the condition.

  ResourceQuota:
    doc: Limits on the total resources and object counts of a namespace.
    fields:
      spec: ResourceQuotaSpec | The limits.
      status: ResourceQuotaStatus | Current use against the limits.
  ResourceQuotaSpec:
    doc: The limits of a resource quota.
    fields:
      hard: map[string]Quantity | Most of each resource (requests.cpu, pods, count/deployments.apps).
      scopeSelector: ScopeSelector | Objects the quota applies to, by scope expressions.
      scopes: string[] | Objects the quota applies to (Terminating, BestEffort, PriorityClass).
  ScopeSelector:
    doc: Scope requirements of a quota.
    fields:
      matchExpressions: ScopedResourceSelectorRequirement[] | The requirements.
  ScopedResourceSelectorRequirement:
    doc: A scope requirement.
    fields:
      operator: enum(In,NotIn,Exists,DoesNotExist)! | How the scope relates to the values.
      scopeName: string! | The scope.
      values: string[] | Values to compare with.
  ResourceQuotaStatus:
    doc: Current use against a quota.
    fields:
      hard: map[string]Quantity | The enforced limits.
      used: map[string]Quantity | The current use.
  LimitRange:
    doc: Defaults and bounds for the resources of each pod, container or claim in a namespace.
    fields:
      spec: LimitRangeSpec | The limits.
  LimitRangeSpec:
    doc: The limits of a limit range.
    fields:
      limits: LimitRangeItem[]! | One entry per kind of object.
  LimitRangeItem:
    doc: Defaults and bounds for one kind of object.
    fields:
      default: map[string]Quantity | Default limits.
      defaultRequest: map[string]Quantity | Default requests.
      max: map[string]Quantity | Largest allowed.
      maxLimitRequestRatio: map[string]Quantity | Largest allowed ratio of limit to request.
      min: map[string]Quantity | Smallest allowed.
      type: enum(Pod,Container,PersistentVolumeClaim)! | Kind of object the entry is for.

)yaml";

}  // namespace berth::api::kube
