// The cluster state store: keys to values with Kubernetes' storage semantics (etcd v3's data
// model, as the API server's storage/etcd3 package uses it). One global revision counts every
// change; it is what an object's resourceVersion is. Writes are create-if-absent and
// compare-and-swap on a key's mod_revision; reads and lists can be made at an older revision;
// watches deliver every change after a revision, in revision order, none lost; compaction
// forgets history up to a revision (a watch or read older than that is refused, which the
// API turns into 410 Gone). Backends: embedded SQLite (sqlite_store.cc, the default) and
// etcd v3 (etcd_store.cc). Keys are byte strings ("/registry/configmaps/default/app"); values are
// opaque bytes (the API stores JSON).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/error.h"

namespace berth::store {

struct KeyValue {
  std::string key;
  std::string value;
  int64_t create_revision = 0;  // the revision that created this incarnation of the key
  int64_t mod_revision = 0;     // the revision of its last change (its resourceVersion)
};

struct Event {
  enum class Type { kPut, kDelete };
  Type type = Type::kPut;
  KeyValue kv;                   // kDelete: the value it had; mod_revision = the delete's
  std::optional<KeyValue> prev;  // the value before this change, when there was one
  int64_t revision() const { return kv.mod_revision; }
};

struct ListOptions {
  int64_t limit = 0;          // at most this many items; 0 = all
  std::string start_after;    // continue: only keys greater than this one
  int64_t revision = 0;       // read as of this revision; 0 = the current one
};

struct ListResult {
  std::vector<KeyValue> items;  // ordered by key
  int64_t revision = 0;         // the revision the list was read at
  bool more = false;            // limit cut the list short (continue after items.back())
};

// A watch's stream of events (see Store::watch).
class Watcher {
 public:
  virtual ~Watcher() = default;
  // The next events, in revision order, waiting up to `timeout` for one (empty = none came).
  // Errors: kFailedPrecondition "required revision has been compacted" when history this
  // watch still needed was compacted away; kCanceled after the store closed.
  virtual Result<std::vector<Event>> next(std::chrono::milliseconds timeout) = 0;
};

class Store {
 public:
  virtual ~Store() = default;

  // The current revision (0 for an empty store).
  virtual Result<int64_t> revision() = 0;
  // Creates `key` when it does not exist; returns the new revision. Errors: kAlreadyExists.
  virtual Result<int64_t> create(const std::string& key, const std::string& value) = 0;
  // `key` as of `revision` (0 = now). Errors: kNotFound, kFailedPrecondition (compacted).
  virtual Result<KeyValue> get(const std::string& key, int64_t revision = 0) = 0;
  // Replaces the value when the key's mod_revision is `expected` (0 = whatever it is); returns
  // the new revision. Errors: kNotFound, kConflict (the key changed since `expected`).
  virtual Result<int64_t> update(const std::string& key, const std::string& value, int64_t expected) = 0;
  // Deletes like update() compares; returns the deleted value with mod_revision set to the
  // delete's revision. Errors: kNotFound, kConflict.
  virtual Result<KeyValue> remove(const std::string& key, int64_t expected) = 0;
  // Keys starting with `prefix`, by key. Errors: kFailedPrecondition (revision compacted),
  // kInvalidArgument (revision in the future).
  virtual Result<ListResult> list(const std::string& prefix, const ListOptions& options) = 0;
  // Every change to keys starting with `prefix` after `revision` (0 = from now on). Errors:
  // kFailedPrecondition when `revision` is older than the last compaction.
  virtual Result<std::unique_ptr<Watcher>> watch(const std::string& prefix, int64_t revision) = 0;
  // Forgets every change at or before `revision` but the current value of each key. Errors:
  // kInvalidArgument (revision in the future).
  virtual Result<void> compact(int64_t revision) = 0;
  // The revision of the last compaction (0 = none).
  virtual Result<int64_t> compacted() = 0;
};

// The embedded backend: one SQLite file (WAL; crash-safe as SQLite is), an append-only log of
// changes in the manner of k3s's kine. Errors: the database's (kUnavailable, kDataLoss).
Result<std::unique_ptr<Store>> open_sqlite(const std::string& path);

// The etcd v3 backend (k3s's --datastore-endpoint): `endpoint` is "http://HOST:PORT" (or
// etcd://HOST:PORT), spoken to through etcd's JSON gateway. Revisions are etcd's (an empty
// etcd is at revision 1). Errors: kInvalidArgument (endpoint), kUnavailable (unreachable).
Result<std::unique_ptr<Store>> open_etcd(const std::string& endpoint);

}  // namespace berth::store
