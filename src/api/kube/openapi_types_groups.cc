// The named groups' part of the schema table: apps, batch, autoscaling, networking, policy,
// discovery, coordination, rbac, authorization, authentication (notation: openapi_types.cc).
#include "api/kube/openapi_types.h"

namespace berth::api::kube {

const char* const kOpenApiGroupTypes = R"yaml(
io.k8s.api.apps.v1:
  Deployment:
    doc: Declarative updates for pods and their replica sets; it keeps a number of identical pods running.
    fields:
      spec: DeploymentSpec | The desired state.
      status: DeploymentStatus | The observed state.
  DeploymentSpec:
    doc: The desired state of a deployment.
    fields:
      minReadySeconds: integer | Seconds a new pod must be ready to count as available.
      paused: boolean | Stop rolling out changes.
      progressDeadlineSeconds: integer | Seconds before a stalled rollout is reported as failed; 600 by default.
      replicas: integer | Number of pods; 1 by default.
      revisionHistoryLimit: integer | Old replica sets kept for rollback; 10 by default.
      selector: LabelSelector! | Pods the deployment manages; must match the template's labels.
      strategy: DeploymentStrategy | How old pods are replaced by new ones.
      template: PodTemplateSpec! | Template of the pods.
  DeploymentStrategy:
    doc: How a deployment replaces old pods with new ones.
    fields:
      rollingUpdate: RollingUpdateDeployment | Settings of a rolling update.
      type: enum(Recreate,RollingUpdate) | Recreate removes all old pods first; RollingUpdate replaces them gradually (the default).
  RollingUpdateDeployment:
    doc: Settings of a rolling update.
    fields:
      maxSurge: IntOrString | Pods that may exist above the desired count during the update (number or percent); 25% by default.
      maxUnavailable: IntOrString | Pods that may be unavailable during the update (number or percent); 25% by default.
  DeploymentStatus:
    doc: The observed state of a deployment.
    fields:
      availableReplicas: integer | Pods ready for at least minReadySeconds.
      collisionCount: integer | Count of hash collisions of the template.
      conditions: DeploymentCondition[] | Current conditions (Available, Progressing).
      observedGeneration: int64 | Generation last acted on.
      readyReplicas: integer | Pods that are ready.
      replicas: integer | Pods of the deployment.
      terminatingReplicas: integer | Pods being deleted.
      unavailableReplicas: integer | Pods still needed for full availability.
      updatedReplicas: integer | Pods with the current template.
  DeploymentCondition:
    doc: A condition of a deployment.
    fields:
      lastTransitionTime: Time | When the status last changed.
      lastUpdateTime: Time | When the condition was last updated.
      message: string | Details.
      reason: string | Reason.
      status: enum(True,False,Unknown)! | Status of the condition.
      type: string! | Type of the condition.
  ReplicaSet:
    doc: Keeps a number of identical pods running.
    fields:
      spec: ReplicaSetSpec | The desired state.
      status: ReplicaSetStatus | The observed state.
  ReplicaSetSpec:
    doc: The desired state of a replica set.
    fields:
      minReadySeconds: integer | Seconds a new pod must be ready to count as available.
      replicas: integer | Number of pods; 1 by default.
      selector: LabelSelector! | Pods the replica set manages.
      template: PodTemplateSpec | Template of the pods.
  ReplicaSetStatus:
    doc: The observed state of a replica set.
    fields:
      availableReplicas: integer | Pods ready for at least minReadySeconds.
      conditions: ReplicaSetCondition[] | Current conditions.
      fullyLabeledReplicas: integer | Pods whose labels match the template's.
      observedGeneration: int64 | Generation last acted on.
      readyReplicas: integer | Pods that are ready.
      replicas: integer! | Pods of the replica set.
      terminatingReplicas: integer | Pods being deleted.
  ReplicaSetCondition:
    doc: A condition of a replica set.
    fields:
      lastTransitionTime: Time | When the status last changed.
      message: string | Details.
      reason: string | Reason.
      status: enum(True,False,Unknown)! | Status of the condition.
      type: string! | Type of the condition.
  StatefulSet:
    doc: Pods with stable identities and storage, started and updated in order.
    fields:
      spec: StatefulSetSpec | The desired state.
      status: StatefulSetStatus | The observed state.
  StatefulSetSpec:
    doc: The desired state of a stateful set.
    fields:
      minReadySeconds: integer | Seconds a new pod must be ready to count as available.
      ordinals: StatefulSetOrdinals | Numbering of the pods.
      persistentVolumeClaimRetentionPolicy: StatefulSetPersistentVolumeClaimRetentionPolicy | What happens to the claims on deletion and scale-down.
      podManagementPolicy: enum(OrderedReady,Parallel) | Whether pods start and stop one by one or together.
      replicas: integer | Number of pods; 1 by default.
      revisionHistoryLimit: integer | Revisions kept; 10 by default.
      selector: LabelSelector! | Pods the stateful set manages.
      serviceName: string | Headless service that gives the pods their DNS names.
      template: PodTemplateSpec! | Template of the pods.
      updateStrategy: StatefulSetUpdateStrategy | How pods are replaced when the template changes.
      volumeClaimTemplates: PersistentVolumeClaim[] | Claims made for each pod.
  StatefulSetOrdinals:
    doc: Numbering of a stateful set's pods.
    fields:
      start: integer | Number of the first pod; 0 by default.
  StatefulSetPersistentVolumeClaimRetentionPolicy:
    doc: What happens to a stateful set's claims.
    fields:
      whenDeleted: enum(Retain,Delete) | When the stateful set is deleted.
      whenScaled: enum(Retain,Delete) | When it is scaled down.
  StatefulSetUpdateStrategy:
    doc: How a stateful set replaces pods.
    fields:
      rollingUpdate: RollingUpdateStatefulSetStrategy | Settings of a rolling update.
      type: enum(OnDelete,RollingUpdate) | RollingUpdate (the default) replaces pods in order; OnDelete waits for them to be deleted.
  RollingUpdateStatefulSetStrategy:
    doc: Settings of a stateful set's rolling update.
    fields:
      maxUnavailable: IntOrString | Pods that may be unavailable during the update.
      partition: integer | Only pods numbered at or above this are updated.
  StatefulSetStatus:
    doc: The observed state of a stateful set.
    fields:
      availableReplicas: integer | Pods ready for at least minReadySeconds.
      collisionCount: integer | Count of hash collisions.
      conditions: StatefulSetCondition[] | Current conditions.
      currentReplicas: integer | Pods at currentRevision.
      currentRevision: string | Revision of the older pods.
      observedGeneration: int64 | Generation last acted on.
      readyReplicas: integer | Pods that are ready.
      replicas: integer! | Pods of the stateful set.
      updateRevision: string | Revision of the newest template.
      updatedReplicas: integer | Pods at updateRevision.
  StatefulSetCondition:
    doc: A condition of a stateful set.
    fields:
      lastTransitionTime: Time | When the status last changed.
      message: string | Details.
      reason: string | Reason.
      status: enum(True,False,Unknown)! | Status of the condition.
      type: string! | Type of the condition.
  DaemonSet:
    doc: Runs a copy of a pod on every (selected) node.
    fields:
      spec: DaemonSetSpec | The desired state.
      status: DaemonSetStatus | The observed state.
  DaemonSetSpec:
    doc: The desired state of a daemon set.
    fields:
      minReadySeconds: integer | Seconds a new pod must be ready to count as available.
      revisionHistoryLimit: integer | Revisions kept; 10 by default.
      selector: LabelSelector! | Pods the daemon set manages.
      template: PodTemplateSpec! | Template of the pods.
      updateStrategy: DaemonSetUpdateStrategy | How pods are replaced when the template changes.
  DaemonSetUpdateStrategy:
    doc: How a daemon set replaces pods.
    fields:
      rollingUpdate: RollingUpdateDaemonSet | Settings of a rolling update.
      type: enum(OnDelete,RollingUpdate) | RollingUpdate (the default) or OnDelete.
  RollingUpdateDaemonSet:
    doc: Settings of a daemon set's rolling update.
    fields:
      maxSurge: IntOrString | Nodes that may run an old and a new pod at once.
      maxUnavailable: IntOrString | Nodes whose pod may be unavailable during the update; 1 by default.
  DaemonSetStatus:
    doc: The observed state of a daemon set.
    fields:
      collisionCount: integer | Count of hash collisions.
      conditions: DaemonSetCondition[] | Current conditions.
      currentNumberScheduled: integer! | Nodes running the pod that should.
      desiredNumberScheduled: integer! | Nodes that should run the pod.
      numberAvailable: integer | Nodes whose pod is available.
      numberMisscheduled: integer! | Nodes running the pod that should not.
      numberReady: integer! | Nodes whose pod is ready.
      numberUnavailable: integer | Nodes whose pod is not available.
      observedGeneration: int64 | Generation last acted on.
      updatedNumberScheduled: integer | Nodes running the current pod template.
  DaemonSetCondition:
    doc: A condition of a daemon set.
    fields:
      lastTransitionTime: Time | When the status last changed.
      message: string | Details.
      reason: string | Reason.
      status: enum(True,False,Unknown)! | Status of the condition.
      type: string! | Type of the condition.
  ControllerRevision:
    doc: An immutable snapshot of a controller's state, used for rollbacks.
    fields:
      data: RawExtension | The state, as the controller wrote it.
      revision: int64! | Revision number.

io.k8s.api.batch.v1:
  Job:
    doc: Runs pods until a number of them complete successfully.
    fields:
      spec: JobSpec | The desired state.
      status: JobStatus | The observed state.
  JobSpec:
    doc: The desired state of a job.
    fields:
      activeDeadlineSeconds: int64 | Seconds the job may run before it is failed.
      backoffLimit: integer | Retries before the job is failed; 6 by default.
      backoffLimitPerIndex: integer | Retries per index of an Indexed job.
      completionMode: enum(NonIndexed,Indexed) | Whether each pod gets a completion index.
      completions: integer | Successful pods needed.
      managedBy: string | Controller that manages the job.
      manualSelector: boolean | Use the given selector instead of a generated one.
      maxFailedIndexes: integer | Failed indexes before the job is failed.
      parallelism: integer | Pods that may run at once.
      podFailurePolicy: PodFailurePolicy | How pod failures count.
      podReplacementPolicy: enum(TerminatingOrFailed,Failed) | When failed pods are replaced.
      selector: LabelSelector | Pods of the job (normally generated).
      successPolicy: SuccessPolicy | When the job counts as succeeded.
      suspend: boolean | Do not create pods (and delete running ones).
      template: PodTemplateSpec! | Template of the pods; restartPolicy must be Never or OnFailure.
      ttlSecondsAfterFinished: integer | Seconds after completion before the job is deleted.
  PodFailurePolicy:
    doc: How a job treats pod failures.
    fields:
      rules: PodFailurePolicyRule[]! | Rules, checked in order.
  PodFailurePolicyRule:
    doc: A rule on pod failures.
    fields:
      action: enum(Count,FailIndex,FailJob,Ignore)! | What to do when the rule matches.
      onExitCodes: PodFailurePolicyOnExitCodesRequirement | Exit codes that match.
      onPodConditions: PodFailurePolicyOnPodConditionsPattern[] | Pod conditions that match.
  PodFailurePolicyOnExitCodesRequirement:
    doc: Exit codes a rule matches.
    fields:
      containerName: string | Container whose exit code counts; all when empty.
      operator: enum(In,NotIn)! | How the exit code relates to the values.
      values: integer[]! | Exit codes.
  PodFailurePolicyOnPodConditionsPattern:
    doc: A pod condition a rule matches.
    fields:
      status: enum(True,False,Unknown) | Status of the condition.
      type: string! | Type of the condition.
  SuccessPolicy:
    doc: When an Indexed job counts as succeeded.
    fields:
      rules: SuccessPolicyRule[]! | Rules; any may make the job succeed.
  SuccessPolicyRule:
    doc: A success rule.
    fields:
      succeededCount: integer | Succeeded indexes needed.
      succeededIndexes: string | Indexes that must succeed (1,3-5).
  JobStatus:
    doc: The observed state of a job.
    fields:
      active: integer | Pods running.
      completedIndexes: string | Completed indexes of an Indexed job.
      completionTime: Time | When the job completed.
      conditions: JobCondition[] | Current conditions (Complete, Failed, Suspended).
      failed: integer | Pods that failed.
      failedIndexes: string | Failed indexes.
      ready: integer | Pods that are ready.
      startTime: Time | When the job started.
      succeeded: integer | Pods that succeeded.
      terminating: integer | Pods being deleted.
      uncountedTerminatedPods: UncountedTerminatedPods | Finished pods not yet counted.
  JobCondition:
    doc: A condition of a job.
    fields:
      lastProbeTime: Time | When the condition was last checked.
      lastTransitionTime: Time | When the status last changed.
      message: string | Details.
      reason: string | Reason.
      status: enum(True,False,Unknown)! | Status of the condition.
      type: string! | Type of the condition.
  UncountedTerminatedPods:
    doc: UIDs of finished pods not yet counted in the job's status.
    fields:
      failed: string[] | Failed pods.
      succeeded: string[] | Succeeded pods.
  CronJob:
    doc: Runs a job on a schedule.
    fields:
      spec: CronJobSpec | The desired state.
      status: CronJobStatus | The observed state.
  CronJobSpec:
    doc: The desired state of a cron job.
    fields:
      concurrencyPolicy: enum(Allow,Forbid,Replace) | What happens when a run is due while the last one still runs.
      failedJobsHistoryLimit: integer | Failed jobs kept; 1 by default.
      jobTemplate: JobTemplateSpec! | Template of the jobs.
      schedule: string! | Schedule in cron format (*/5 * * * *).
      startingDeadlineSeconds: int64 | Seconds a missed run may still start late.
      successfulJobsHistoryLimit: integer | Successful jobs kept; 3 by default.
      suspend: boolean | Do not start new runs.
      timeZone: string | Time zone of the schedule (Europe/Paris); the controller's by default.
  JobTemplateSpec:
    doc: The template from which jobs are made.
    fields:
      metadata: ObjectMeta | Labels and annotations of the jobs.
      spec: JobSpec | Spec of the jobs.
  CronJobStatus:
    doc: The observed state of a cron job.
    fields:
      active: ObjectReference[] | Jobs running.
      lastScheduleTime: Time | When a job was last started.
      lastSuccessfulTime: Time | When a job last succeeded.

io.k8s.api.autoscaling.v1:
  HorizontalPodAutoscaler:
    doc: Scales a workload's replicas to keep its average CPU use near a target (the v1 form; stored as v2).
    fields:
      spec: HorizontalPodAutoscalerSpec | The desired behaviour.
      status: HorizontalPodAutoscalerStatus | The observed state.
  HorizontalPodAutoscalerSpec:
    doc: The desired behaviour of a v1 autoscaler.
    fields:
      maxReplicas: integer! | Most replicas.
      minReplicas: integer | Fewest replicas; 1 by default.
      scaleTargetRef: CrossVersionObjectReference! | The workload scaled.
      targetCPUUtilizationPercentage: integer | Target average CPU use, percent of requests.
  HorizontalPodAutoscalerStatus:
    doc: What a v1 autoscaler saw last.
    fields:
      currentCPUUtilizationPercentage: integer | Current average CPU use, percent of requests.
      currentReplicas: integer! | Replicas now.
      desiredReplicas: integer! | Replicas wanted.
      lastScaleTime: Time | When it last scaled.
      observedGeneration: int64 | Generation last acted on.
  CrossVersionObjectReference:
    doc: Names the scaled workload.
    fields:
      apiVersion: string | Its API version.
      kind: string! | Its kind.
      name: string! | Its name.

io.k8s.api.autoscaling.v2:
  HorizontalPodAutoscaler:
    doc: Scales a workload's replicas to keep metrics near their targets.
    fields:
      spec: HorizontalPodAutoscalerSpec | The desired behaviour.
      status: HorizontalPodAutoscalerStatus | The observed state.
  HorizontalPodAutoscalerSpec:
    doc: The desired behaviour of an autoscaler.
    fields:
      behavior: HorizontalPodAutoscalerBehavior | How fast to scale up and down.
      maxReplicas: integer! | Most replicas.
      metrics: MetricSpec[] | Metrics to track; 80% average CPU by default.
      minReplicas: integer | Fewest replicas; 1 by default.
      scaleTargetRef: CrossVersionObjectReference! | Workload to scale (with a scale subresource).
  CrossVersionObjectReference:
    doc: Names an object of a kind in the same namespace.
    fields:
      apiVersion: string | API version of the object.
      kind: string! | Kind of the object.
      name: string! | Name of the object.
  HorizontalPodAutoscalerBehavior:
    doc: Scaling rules for each direction.
    fields:
      scaleDown: HPAScalingRules | Rules for scaling down.
      scaleUp: HPAScalingRules | Rules for scaling up.
  HPAScalingRules:
    doc: Rules for scaling in one direction.
    fields:
      policies: HPAScalingPolicy[] | Allowed changes.
      selectPolicy: enum(Max,Min,Disabled) | Which policy applies.
      stabilizationWindowSeconds: integer | Seconds of past recommendations considered.
      tolerance: Quantity | Relative metric change that does not trigger scaling.
  HPAScalingPolicy:
    doc: An allowed change over a period.
    fields:
      periodSeconds: integer! | Length of the period.
      type: enum(Pods,Percent)! | Unit of value.
      value: integer! | Amount of change.
  MetricSpec:
    doc: A metric to scale on; type names the field that is set.
    fields:
      containerResource: ContainerResourceMetricSource | A resource of one container of the pods.
      external: ExternalMetricSource | A metric from outside the cluster.
      object: ObjectMetricSource | A metric of one object.
      pods: PodsMetricSource | A metric averaged over the pods.
      resource: ResourceMetricSource | A resource (cpu, memory) of the pods.
      type: enum(ContainerResource,External,Object,Pods,Resource)! | Kind of metric.
  MetricTarget:
    doc: The target value of a metric.
    fields:
      averageUtilization: integer | Target average, in percent of the requests.
      averageValue: Quantity | Target average value.
      type: enum(Utilization,Value,AverageValue)! | Which field holds the target.
      value: Quantity | Target value.
  MetricIdentifier:
    doc: Names a metric.
    fields:
      name: string! | Name of the metric.
      selector: LabelSelector | Labels of the metric.
  ContainerResourceMetricSource:
    doc: A resource of one container.
    fields:
      container: string! | Name of the container.
      name: string! | Name of the resource.
      target: MetricTarget! | Target.
  ExternalMetricSource:
    doc: A metric from outside the cluster.
    fields:
      metric: MetricIdentifier! | The metric.
      target: MetricTarget! | Target.
  ObjectMetricSource:
    doc: A metric of one object.
    fields:
      describedObject: CrossVersionObjectReference! | The object.
      metric: MetricIdentifier! | The metric.
      target: MetricTarget! | Target.
  PodsMetricSource:
    doc: A metric averaged over the pods.
    fields:
      metric: MetricIdentifier! | The metric.
      target: MetricTarget! | Target.
  ResourceMetricSource:
    doc: A resource of the pods.
    fields:
      name: string! | Name of the resource.
      target: MetricTarget! | Target.
  HorizontalPodAutoscalerStatus:
    doc: The observed state of an autoscaler.
    fields:
      conditions: HorizontalPodAutoscalerCondition[] | Current conditions.
      currentMetrics: MetricStatus[] | Last read metric values.
      currentReplicas: integer | Replicas now.
      desiredReplicas: integer! | Replicas wanted.
      lastScaleTime: Time | When the autoscaler last scaled.
      observedGeneration: int64 | Generation last acted on.
  HorizontalPodAutoscalerCondition:
    doc: A condition of an autoscaler.
    fields:
      lastTransitionTime: Time | When the status last changed.
      message: string | Details.
      reason: string | Reason.
      status: enum(True,False,Unknown)! | Status of the condition.
      type: string! | Type of the condition.
  MetricStatus:
    doc: The last read value of a metric.
    fields:
      containerResource: ContainerResourceMetricStatus | A container resource.
      external: ExternalMetricStatus | An external metric.
      object: ObjectMetricStatus | An object's metric.
      pods: PodsMetricStatus | A pods metric.
      resource: ResourceMetricStatus | A resource.
      type: enum(ContainerResource,External,Object,Pods,Resource)! | Kind of metric.
  MetricValueStatus:
    doc: A read metric value.
    fields:
      averageUtilization: integer | Average, in percent of the requests.
      averageValue: Quantity | Average value.
      value: Quantity | Value.
  ContainerResourceMetricStatus:
    doc: The value of a container resource.
    fields:
      container: string! | Name of the container.
      current: MetricValueStatus! | Value.
      name: string! | Name of the resource.
  ExternalMetricStatus:
    doc: The value of an external metric.
    fields:
      current: MetricValueStatus! | Value.
      metric: MetricIdentifier! | The metric.
  ObjectMetricStatus:
    doc: The value of an object's metric.
    fields:
      current: MetricValueStatus! | Value.
      describedObject: CrossVersionObjectReference! | The object.
      metric: MetricIdentifier! | The metric.
  PodsMetricStatus:
    doc: The value of a pods metric.
    fields:
      current: MetricValueStatus! | Value.
      metric: MetricIdentifier! | The metric.
  ResourceMetricStatus:
    doc: The value of a resource.
    fields:
      current: MetricValueStatus! | Value.
      name: string! | Name of the resource.

io.k8s.api.networking.v1:
  Ingress:
    doc: Rules that route external HTTP(S) traffic to services.
    fields:
      spec: IngressSpec | The desired routing.
      status: IngressStatus | The observed state.
  IngressSpec:
    doc: The desired routing of an ingress.
    fields:
      defaultBackend: IngressBackend | Where requests that match no rule go.
      ingressClassName: string | IngressClass (controller) that implements the ingress.
      rules: IngressRule[] | Host rules.
      tls: IngressTLS[] | TLS settings.
  IngressBackend:
    doc: Where traffic goes; one field is set.
    fields:
      resource: TypedLocalObjectReference | An object in the namespace.
      service: IngressServiceBackend | A service.
  IngressServiceBackend:
    doc: A service as a backend.
    fields:
      name: string! | Name of the service.
      port: ServiceBackendPort | Port of the service.
  ServiceBackendPort:
    doc: A port of a service, by number or name.
    fields:
      name: string | Name of the port.
      number: integer | Number of the port.
  IngressRule:
    doc: Routing for a host.
    fields:
      host: string | Host name (may start with *.); all hosts when empty.
      http: HTTPIngressRuleValue | HTTP paths.
  HTTPIngressRuleValue:
    doc: HTTP paths of a rule.
    fields:
      paths: HTTPIngressPath[]! | The paths.
  HTTPIngressPath:
    doc: A path and its backend.
    fields:
      backend: IngressBackend! | Where matching requests go.
      path: string | Path to match.
      pathType: enum(Exact,Prefix,ImplementationSpecific)! | How the path matches.
  IngressTLS:
    doc: TLS for some hosts.
    fields:
      hosts: string[] | Hosts the certificate covers.
      secretName: string | Secret with the certificate and key.
  IngressStatus:
    doc: The observed state of an ingress.
    fields:
      loadBalancer: IngressLoadBalancerStatus | Addresses of the load balancer.
  IngressLoadBalancerStatus:
    doc: The load balancer of an ingress.
    fields:
      ingress: IngressLoadBalancerIngress[] | Addresses.
  IngressLoadBalancerIngress:
    doc: An address of an ingress's load balancer.
    fields:
      hostname: string | Host name.
      ip: string | Address.
      ports: IngressPortStatus[] | Status of the ports.
  IngressPortStatus:
    doc: The status of a port.
    fields:
      error: string | Problem with the port, if any.
      port: integer! | Port number.
      protocol: enum(SCTP,TCP,UDP)! | Protocol.
  IngressClass:
    doc: A kind of ingress and the controller that implements it.
    fields:
      spec: IngressClassSpec | The controller and its parameters.
  IngressClassSpec:
    doc: The controller of an ingress class.
    fields:
      controller: string | Name of the controller (example.com/ingress-controller).
      parameters: IngressClassParametersReference | Object holding the controller's settings.
  IngressClassParametersReference:
    doc: Names the parameters of an ingress class.
    fields:
      apiGroup: string | API group of the kind.
      kind: string! | Kind of the object.
      name: string! | Name of the object.
      namespace: string | Namespace, for scope Namespace.
      scope: enum(Cluster,Namespace) | Whether the object is cluster-scoped.
  NetworkPolicy:
    doc: Which traffic may reach and leave a set of pods.
    fields:
      spec: NetworkPolicySpec | The policy.
  NetworkPolicySpec:
    doc: The desired policy.
    fields:
      egress: NetworkPolicyEgressRule[] | Outgoing traffic allowed.
      ingress: NetworkPolicyIngressRule[] | Incoming traffic allowed.
      podSelector: LabelSelector | Pods the policy applies to; all pods of the namespace when empty.
      policyTypes: string[] | Directions the policy covers (Ingress, Egress).
  NetworkPolicyIngressRule:
    doc: Allowed incoming traffic.
    fields:
      from: NetworkPolicyPeer[] | Allowed sources; any when empty.
      ports: NetworkPolicyPort[] | Allowed ports; all when empty.
  NetworkPolicyEgressRule:
    doc: Allowed outgoing traffic.
    fields:
      ports: NetworkPolicyPort[] | Allowed ports; all when empty.
      to: NetworkPolicyPeer[] | Allowed destinations; any when empty.
  NetworkPolicyPeer:
    doc: A source or destination of traffic.
    fields:
      ipBlock: IPBlock | An address range.
      namespaceSelector: LabelSelector | Namespaces, by label.
      podSelector: LabelSelector | Pods, by label.
  IPBlock:
    doc: An address range.
    fields:
      cidr: string! | The range (10.0.0.0/8).
      except: string[] | Ranges left out.
  NetworkPolicyPort:
    doc: A port or port range.
    fields:
      endPort: integer | Last port of a range.
      port: IntOrString | Port number or name.
      protocol: enum(SCTP,TCP,UDP) | Protocol; TCP by default.

io.k8s.api.policy.v1:
  PodDisruptionBudget:
    doc: Limits how many pods of a set voluntary disruptions (evictions) may take down at once.
    fields:
      spec: PodDisruptionBudgetSpec | The budget.
      status: PodDisruptionBudgetStatus | The observed state.
  PodDisruptionBudgetSpec:
    doc: The desired budget.
    fields:
      maxUnavailable: IntOrString | Pods that may be unavailable after an eviction (number or percent).
      minAvailable: IntOrString | Pods that must stay available after an eviction (number or percent).
      selector: LabelSelector | Pods the budget covers.
      unhealthyPodEvictionPolicy: enum(IfHealthyBudget,AlwaysAllow) | When unhealthy pods may be evicted.
  PodDisruptionBudgetStatus:
    doc: The observed state of a budget.
    fields:
      conditions: Condition[] | Current conditions.
      currentHealthy: integer! | Healthy pods now.
      desiredHealthy: integer! | Healthy pods needed.
      disruptedPods: map[string]Time | Pods being evicted, with when.
      disruptionsAllowed: integer! | Evictions allowed now.
      expectedPods: integer! | Pods counted.
      observedGeneration: int64 | Generation last acted on.

io.k8s.api.discovery.v1:
  EndpointSlice:
    doc: A subset of the endpoints behind a service.
    fields:
      addressType: enum(IPv4,IPv6,FQDN)! | Kind of addresses in the slice.
      endpoints: Endpoint[]! | The endpoints.
      ports: EndpointPort[] | Ports of the endpoints.
  Endpoint:
    doc: One endpoint of a slice.
    fields:
      addresses: string[]! | Addresses of the endpoint.
      conditions: EndpointConditions | State of the endpoint.
      deprecatedTopology: map[string]string | Deprecated topology labels.
      hints: EndpointHints | Routing hints.
      hostname: string | Host name of the endpoint.
      nodeName: string | Node the endpoint is on.
      targetRef: ObjectReference | Object (usually a pod) behind the endpoint.
      zone: string | Zone the endpoint is in.
  EndpointConditions:
    doc: The state of an endpoint.
    fields:
      ready: boolean | Ready to receive traffic.
      serving: boolean | Serving, even while terminating.
      terminating: boolean | Terminating.
  EndpointHints:
    doc: Routing hints of an endpoint.
    fields:
      forNodes: ForNode[] | Nodes that should use the endpoint.
      forZones: ForZone[] | Zones that should use the endpoint.
  ForZone:
    doc: A zone.
    fields:
      name: string! | Name of the zone.
  ForNode:
    doc: A node.
    fields:
      name: string! | Name of the node.
  EndpointPort:
    doc: A port of a slice's endpoints.
    fields:
      appProtocol: string | Application protocol.
      name: string | Name, matching the service port's.
      port: integer | Port number.
      protocol: enum(SCTP,TCP,UDP) | Protocol.

io.k8s.api.coordination.v1:
  Lease:
    doc: A lease held by one holder at a time (leader election, node heartbeats).
    fields:
      spec: LeaseSpec | The lease.
  LeaseSpec:
    doc: The state of a lease.
    fields:
      acquireTime: MicroTime | When the current holder acquired the lease.
      holderIdentity: string | Identity of the holder.
      leaseDurationSeconds: integer | Seconds a holder waits for renewal before taking over.
      leaseTransitions: integer | How many times the lease changed holder.
      preferredHolder: string | Holder that should take the lease next.
      renewTime: MicroTime | When the holder last renewed the lease.
      strategy: string | Strategy for picking the next holder.

io.k8s.api.rbac.v1:
  Role:
    doc: Permissions within a namespace.
    fields:
      rules: PolicyRule[] | The permissions.
  ClusterRole:
    doc: Permissions across the cluster, or a set reused by namespaced bindings.
    fields:
      aggregationRule: AggregationRule | Other cluster roles whose rules are merged into this one.
      rules: PolicyRule[] | The permissions.
  AggregationRule:
    doc: Cluster roles to aggregate.
    fields:
      clusterRoleSelectors: LabelSelector[] | Labels of the cluster roles.
  PolicyRule:
    doc: Verbs allowed on resources or non-resource URLs.
    fields:
      apiGroups: string[] | API groups of the resources ("" is the core group, * all).
      nonResourceURLs: string[] | URL paths (/healthz), for cluster roles.
      resourceNames: string[] | Names of the objects; all when empty.
      resources: string[] | Resources (pods, deployments, pods/log; * all).
      verbs: string[]! | Verbs (get, list, watch, create, update, patch, delete; * all).
  RoleBinding:
    doc: Grants a role's permissions to subjects within a namespace.
    fields:
      roleRef: RoleRef! | The Role or ClusterRole granted.
      subjects: Subject[] | Users, groups and service accounts.
  ClusterRoleBinding:
    doc: Grants a cluster role's permissions to subjects across the cluster.
    fields:
      roleRef: RoleRef! | The ClusterRole granted.
      subjects: Subject[] | Users, groups and service accounts.
  RoleRef:
    doc: Names a role.
    fields:
      apiGroup: string! | rbac.authorization.k8s.io.
      kind: enum(Role,ClusterRole)! | Kind of role.
      name: string! | Name of the role.
  Subject:
    doc: A user, group or service account.
    fields:
      apiGroup: string | rbac.authorization.k8s.io for users and groups, "" for service accounts.
      kind: enum(User,Group,ServiceAccount)! | Kind of subject.
      name: string! | Name of the subject.
      namespace: string | Namespace of a service account.
io.k8s.api.authorization.v1:
  SelfSubjectAccessReview:
    doc: Asks whether the requesting user may do something (kubectl auth can-i); answered, not stored.
    fields:
      spec: SelfSubjectAccessReviewSpec! | What to check.
      status: SubjectAccessReviewStatus | The answer.
  SelfSubjectAccessReviewSpec:
    doc: One action, on a resource or a non-resource path.
    fields:
      nonResourceAttributes: NonResourceAttributes | A path and verb.
      resourceAttributes: ResourceAttributes | A resource and verb.
  SubjectAccessReview:
    doc: Asks whether a named user may do something; answered, not stored.
    fields:
      spec: SubjectAccessReviewSpec! | Who and what to check.
      status: SubjectAccessReviewStatus | The answer.
  SubjectAccessReviewSpec:
    doc: A user and one action.
    fields:
      extra: map[string]string[] | Extra attributes of the user.
      groups: string[] | Groups of the user.
      nonResourceAttributes: NonResourceAttributes | A path and verb.
      resourceAttributes: ResourceAttributes | A resource and verb.
      uid: string | Uid of the user.
      user: string | Name of the user.
  ResourceAttributes:
    doc: An action on a resource.
    fields:
      fieldSelector: free | A field selector the request would carry.
      group: string | API group ("" for core).
      labelSelector: free | A label selector the request would carry.
      name: string | Name of the object; empty for all.
      namespace: string | Namespace; empty for cluster-scoped or all.
      resource: string | Resource (pods).
      subresource: string | Subresource (log, status).
      verb: string | Verb (get, list, create, ...).
      version: string | API version.
  NonResourceAttributes:
    doc: An action on a path that is not a resource.
    fields:
      path: string | URL path (/healthz).
      verb: string | HTTP verb, lower case.
  SubjectAccessReviewStatus:
    doc: Whether the action is allowed.
    fields:
      allowed: boolean! | True when allowed.
      denied: boolean | True when explicitly denied.
      evaluationError: string | Why the check could not be made, if so.
      reason: string | Why, when an authorizer says.

io.k8s.api.authentication.v1:
  SelfSubjectReview:
    doc: Says who the requesting user is (kubectl auth whoami); answered, not stored.
    fields:
      status: SelfSubjectReviewStatus | The user.
  SelfSubjectReviewStatus:
    doc: The requesting user's attributes.
    fields:
      userInfo: UserInfo | The user.
  TokenReview:
    doc: Asks whether a bearer token is valid and whose it is; answered, not stored.
    fields:
      spec: TokenReviewSpec! | The token.
      status: TokenReviewStatus | The answer.
  TokenReviewSpec:
    doc: A token to check.
    fields:
      audiences: string[] | Audiences the token must be for.
      token: string | The bearer token.
  TokenReviewStatus:
    doc: Whether the token authenticates, and as whom.
    fields:
      audiences: string[] | Audiences the token is good for.
      authenticated: boolean | True when the token is valid.
      error: string | Why it is not.
      user: UserInfo | The user it authenticates.
  UserInfo:
    doc: A user as the authenticator sees it.
    fields:
      extra: map[string]string[] | Extra attributes.
      groups: string[] | Groups.
      uid: string | Unique id.
      username: string | Name.
)yaml";

}  // namespace berth::api::kube
