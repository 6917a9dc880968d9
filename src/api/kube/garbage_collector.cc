#include "api/kube/garbage_collector.h"

#include <atomic>
#include <chrono>
#include <map>
#include <set>
#include <thread>

#include "api/kube/admission.h"
#include "api/kube/deletion.h"
#include "api/kube/objects.h"
#include "api/kube/resources.h"
#include "common/strings.h"

namespace berth::api::kube {

using Clock = std::chrono::steady_clock;

struct GarbageCollector::Impl {
  // One object of the owner graph.
  struct Node {
    std::string key;
    const Resource* type = nullptr;
    std::string ns;
    Json owner_refs = Json::array();
    Json finalizers = Json::array();
    bool deleting = false;
  };

  store::Store& s;
  std::atomic<bool> stop{false};
  std::thread thread;
  std::map<std::string, Node> nodes;                        // by uid
  std::map<std::string, std::string> uid_of;                // key -> uid
  std::map<std::string, std::set<std::string>> dependents;  // owner uid -> dependent uids
  std::set<std::string> dirty;                              // uids to look at again
  std::map<std::string, Clock::time_point> terminating;     // namespace -> first seen Terminating
  std::set<std::string> touched;                            // namespaces changed since the last look
  // Compaction as kube-apiserver does it: every interval, history up to the revision seen at
  // the previous tick goes (watches older than that get 410 Gone and relist).
  std::chrono::milliseconds compaction_interval{0};  // 0 = never
  Clock::time_point next_compaction;
  int64_t compact_to = 0;

  explicit Impl(store::Store& st) : s(st) {}

  // "/registry/<resource>/[<ns>/]<name>" -> the type and namespace.
  static bool parse_key(const std::string& key, const Resource*& type, std::string& ns) {
    auto parts = str::split(key, '/');  // "", "registry", resource, ...
    if (parts.size() < 4) return false;
    for (auto& r : resources()) {
      if (r.name == parts[2] && !r.converted) type = &r;
    }
    if (!type) return false;
    ns = type->namespaced && parts.size() >= 5 ? parts[3] : "";
    return true;
  }

  void forget(const std::string& key) {
    auto it = uid_of.find(key);
    if (it == uid_of.end()) return;
    std::string uid = it->second;
    uid_of.erase(it);
    auto n = nodes.find(uid);
    if (n == nodes.end()) return;
    for (auto& ref : n->second.owner_refs) {
      std::string owner = ref.is_object() ? ref.value("uid", "") : "";
      dependents[owner].erase(uid);
      if (dependents[owner].empty()) dependents.erase(owner);
      dirty.insert(owner);  // an owner waiting for its dependents (foreground) looks again
    }
    for (auto& d : dependents[uid]) dirty.insert(d);  // its dependents may be orphans now
    nodes.erase(n);
  }

  void put(const store::KeyValue& kv) {
    forget(kv.key);
    Node n;
    n.key = kv.key;
    if (!parse_key(kv.key, n.type, n.ns)) return;
    if (!n.ns.empty()) touched.insert(n.ns);
    Json obj = served(kv);
    const Json meta = obj.value("metadata", Json::object());
    std::string uid = meta.value("uid", "");
    if (uid.empty()) return;
    n.owner_refs = meta.value("ownerReferences", Json::array());
    if (!n.owner_refs.is_array()) n.owner_refs = Json::array();
    n.finalizers = meta.value("finalizers", Json::array());
    n.deleting = meta.contains("deletionTimestamp");
    for (auto& ref : n.owner_refs) {
      if (ref.is_object()) dependents[ref.value("uid", "")].insert(uid);
    }
    if (n.type->name == "namespaces" && n.deleting && !terminating.count(meta.value("name", ""))) {
      terminating[meta.value("name", "")] = Clock::now();
    }
    uid_of[kv.key] = uid;
    nodes[uid] = std::move(n);
    dirty.insert(uid);
  }

  // Whether the owner named by `ref` (from a dependent in `ns`) still exists, asking the store
  // when the graph does not know it (it may name an object from before this collector).
  bool owner_exists(const Json& ref, const std::string& ns) {
    std::string uid = ref.value("uid", "");
    if (nodes.count(uid)) return true;
    std::string api = ref.value("apiVersion", "");
    std::string group = api.find('/') == std::string::npos ? "" : api.substr(0, api.find('/'));
    const Resource* t = find_kind(group, ref.value("kind", ""));
    if (!t) return false;
    auto kv = s.get(storage_key(*t, ns, ref.value("name", "")));
    return kv && served(*kv)["metadata"].value("uid", "") == uid;
  }

  void check_dependent(const std::string& uid) {
    auto it = nodes.find(uid);
    if (it == nodes.end() || it->second.deleting || it->second.owner_refs.empty()) return;
    for (auto& ref : it->second.owner_refs) {
      if (ref.is_object() && owner_exists(ref, it->second.ns)) return;
    }
    DeleteOptions o;
    o.precondition_uid = uid;
    (void)delete_object(s, *it->second.type, it->second.key, o);
  }

  static bool has(const Json& list, const char* v) {
    return list.is_array() && std::find(list.begin(), list.end(), Json(v)) != list.end();
  }

  // The dependent at `key` without its references to `owner`.
  void drop_owner_refs(const std::string& key, const std::string& owner) {
    for (int attempt = 0; attempt < 8; ++attempt) {
      auto kv = s.get(key);
      if (!kv) return;
      Json obj = served(*kv);
      Json refs = Json::array();
      for (auto& ref : obj["metadata"].value("ownerReferences", Json::array())) {
        if (!ref.is_object() || ref.value("uid", "") != owner) refs.push_back(ref);
      }
      if (refs.empty()) {
        obj["metadata"].erase("ownerReferences");
      } else {
        obj["metadata"]["ownerReferences"] = refs;
      }
      obj["metadata"].erase("resourceVersion");
      auto r = s.update(key, dump_json(obj), kv->mod_revision);
      if (r || r.error().code != Errc::kConflict) return;
    }
  }

  void check_owner(const std::string& uid) {
    auto it = nodes.find(uid);
    if (it == nodes.end() || !it->second.deleting) return;
    Node owner = it->second;
    std::set<std::string> deps = dependents.count(uid) ? dependents[uid] : std::set<std::string>{};
    if (has(owner.finalizers, "orphan")) {
      for (auto& d : deps) {
        if (nodes.count(d)) drop_owner_refs(nodes[d].key, uid);
      }
      (void)remove_finalizer(s, owner.key, "orphan");
    } else if (has(owner.finalizers, "foregroundDeletion")) {
      if (deps.empty()) {
        (void)remove_finalizer(s, owner.key, "foregroundDeletion");
        return;
      }
      for (auto& d : deps) {
        auto dn = nodes.find(d);
        if (dn == nodes.end() || dn->second.deleting) continue;
        DeleteOptions o;
        o.propagation_policy = "Foreground";
        o.precondition_uid = d;
        (void)delete_object(s, *dn->second.type, dn->second.key, o);
      }
    }
  }

  // A namespace Terminating for a few seconds: its content deleted, then itself once empty.
  void finalize_namespaces() {
    for (auto it = terminating.begin(); it != terminating.end();) {
      const std::string& ns = it->first;
      if (Clock::now() - it->second < std::chrono::seconds(3)) {
        ++it;
        continue;
      }
      bool empty = true;
      for (auto& r : resources()) {
        if (!r.namespaced || r.converted) continue;
        auto l = s.list("/registry/" + r.name + "/" + ns + "/", {});
        if (!l) {
          empty = false;
          continue;
        }
        for (auto& kv : l->items) {
          empty = false;
          Json meta = served(kv)["metadata"];
          if (meta.contains("deletionTimestamp")) continue;
          DeleteOptions o;
          o.propagation_policy = "Background";
          (void)delete_object(s, r, kv.key, o);
        }
      }
      if (empty) {
        auto gone = s.remove("/registry/namespaces/" + ns, 0);
        if (gone || gone.error().code == Errc::kNotFound) {
          it = terminating.erase(it);
          continue;
        }
      }
      ++it;
    }
  }

  // Builds the graph from a list of everything and watches from there; starts over when the
  // watch falls behind a compaction.
  void run() {
    while (!stop) {
      nodes.clear();
      uid_of.clear();
      dependents.clear();
      auto all = s.list("/registry/", {});
      if (!all) {
        std::this_thread::sleep_for(std::chrono::seconds(1));
        continue;
      }
      for (auto& kv : all->items) put(kv);
      auto w = s.watch("/registry/", all->revision);
      if (!w) continue;
      while (!stop) {
        process();
        auto events = (*w)->next(std::chrono::milliseconds(500));
        if (!events) break;
        for (auto& e : *events) {
          if (e.type == store::Event::Type::kDelete) {
            const Resource* t = nullptr;
            std::string ns;
            if (parse_key(e.kv.key, t, ns) && !ns.empty()) touched.insert(ns);
            forget(e.kv.key);
          } else {
            put(e.kv);
          }
        }
      }
    }
  }

  void process() {
    std::set<std::string> work;
    work.swap(dirty);
    for (auto& uid : work) {
      check_owner(uid);
      check_dependent(uid);
    }
    if (!terminating.empty()) finalize_namespaces();
    // The quota controller's part: the namespaces that changed get their quotas' usage anew.
    std::set<std::string> namespaces;
    namespaces.swap(touched);
    for (auto& ns : namespaces) (void)refresh_quota_status(s, ns);
    if (compaction_interval.count() > 0 && Clock::now() >= next_compaction) {
      if (compact_to > 0) (void)s.compact(compact_to);
      compact_to = s.revision().value_or(0);
      next_compaction = Clock::now() + compaction_interval;
    }
  }
};

GarbageCollector::GarbageCollector(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

GarbageCollector::~GarbageCollector() {
  impl_->stop = true;
  if (impl_->thread.joinable()) impl_->thread.join();
}

Result<std::unique_ptr<GarbageCollector>> GarbageCollector::start(store::Store& s,
                                                                 std::chrono::milliseconds compaction_interval) {
  BERTH_TRY(s.revision());
  auto impl = std::make_unique<Impl>(s);
  impl->compaction_interval = compaction_interval;
  impl->next_compaction = Clock::now() + compaction_interval;
  Impl* raw = impl.get();
  impl->thread = std::thread([raw] { raw->run(); });
  return std::unique_ptr<GarbageCollector>(new GarbageCollector(std::move(impl)));
}

}  // namespace berth::api::kube
