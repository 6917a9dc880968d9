// The garbage collector, namespace finalizer and quota status of the control plane, run beside the API server
// on its store (k8s.io/kubernetes pkg/controller/garbagecollector: the owner graph from
// metadata.ownerReferences, attemptToDelete / orphanDependents; pkg/controller/namespace:
// a Terminating namespace's content deleted, then the namespace).
//  - An object whose owners are all gone is deleted (background propagation).
//  - An owner being deleted with the `orphan` finalizer: its dependents lose their
//    ownerReferences to it, then the finalizer goes (and with it the owner).
//  - With `foregroundDeletion`: its dependents are deleted (in the foreground too); once none is
//    left the finalizer goes.
//  - A namespace marked for deletion: a few seconds later (so a `kubectl delete -f` naming it and
//    its content still finds both) everything in it is deleted, then the namespace.
//  - A namespace whose content changed: its ResourceQuotas' status (hard, used) is recomputed.
//  - Every compaction interval the store's history is compacted up to the revision of the
//    previous tick (kube-apiserver's --etcd-compaction-interval, 5 minutes by default), so the
//    log does not grow for ever; older watches get 410 Gone and relist.
#pragma once

#include <chrono>
#include <memory>

#include "common/error.h"
#include "store/store.h"

namespace berth::api::kube {

class GarbageCollector {
 public:
  // Starts the collector's thread, which watches every object in `s` (`s` must outlive it).
  // `compaction_interval` 0 = never compact. Errors: the store's.
  static Result<std::unique_ptr<GarbageCollector>> start(store::Store& s, std::chrono::milliseconds compaction_interval);
  ~GarbageCollector();  // stops the thread

  struct Impl;

 private:
  explicit GarbageCollector(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace berth::api::kube
