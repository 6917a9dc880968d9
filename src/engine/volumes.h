// Volumes with docker's `local` driver: a directory <data-root>/volumes/<name>/_data, records in
// SQLite (berth.db), named or anonymous (64 hex). Follows moby volume/local and the Volume
// shape of the Engine API.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/json.h"
#include "common/sqlite.h"

namespace berth::engine {

struct Volume {
  std::string name;
  std::string mountpoint;  // <root>/<name>/_data
  std::string created;     // RFC 3339
  std::map<std::string, std::string> labels;
  bool anonymous = false;
  bool populated = false;  // the image's content was copied in (done once, as docker does)
};

class Volumes {
 public:
  // Records in the database at `db_path` (a connection of its own), data under `root`
  // (<data-root>/volumes). Errors: kUnavailable (database).
  static Result<std::unique_ptr<Volumes>> open(const std::string& db_path, std::string root);

  // Creates `name` ("" = anonymous) or returns the existing one (docker's create is
  // idempotent). Errors: kInvalidArgument (bad name: [a-zA-Z0-9][a-zA-Z0-9_.-]+).
  Result<Volume> create(const std::string& name, const std::map<std::string, std::string>& labels,
                        bool anonymous = false);
  // Errors: kNotFound ("get x: no such volume").
  Result<Volume> get(const std::string& name) const;
  std::vector<Volume> list() const;
  // Errors: kNotFound.
  Result<void> remove(const std::string& name);
  Result<void> mark_populated(const std::string& name);

 private:
  Volumes(sql::Db db, std::string root) : db_(std::move(db)), root_(std::move(root)) {}
  mutable sql::Db db_;
  mutable std::mutex mu_;
  std::string root_;
};

Json volume_json(const Volume& v);

}  // namespace berth::engine
