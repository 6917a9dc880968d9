// The SQLite backend of store.h, in the manner of k3s's kine (k3s-io/kine pkg/logstructured):
// every change is a row of an append-only log whose AUTOINCREMENT id is the revision; a key's
// value at revision R is its newest row with id <= R (none, or a delete row, = absent).
// Writes run in BEGIN IMMEDIATE transactions under one connection; watchers read the log after
// their last revision and sleep on a condition variable that every commit signals.
#include <sqlite3.h>

#include <condition_variable>
#include <functional>
#include <limits>
#include <mutex>

#include "common/sqlite.h"
#include "store/store.h"

namespace berth::store {
namespace {

constexpr const char* kSchema = R"(
CREATE TABLE IF NOT EXISTS kine (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL,
  deleted INTEGER NOT NULL,
  create_revision INTEGER NOT NULL,
  prev_revision INTEGER NOT NULL,
  value BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS kine_name_id ON kine (name, id);
CREATE TABLE IF NOT EXISTS kine_meta (k TEXT PRIMARY KEY, v INTEGER NOT NULL);
)";

struct Row {
  int64_t id = 0;
  std::string name;
  bool deleted = false;
  int64_t create_revision = 0, prev_revision = 0;
  std::string value;
  KeyValue kv() const { return {name, value, create_revision, id}; }
};

constexpr const char* kRowColumns = "id, name, deleted, create_revision, prev_revision, value";

Row read_row(const sql::Stmt& st) {
  return {st.int64(0), st.text(1), st.int64(2) != 0, st.int64(3), st.int64(4), st.text(5)};
}

// The first key after every key that starts with `prefix` ("" = no bound).
std::string prefix_end(std::string prefix) {
  while (!prefix.empty() && static_cast<unsigned char>(prefix.back()) == 0xff) prefix.pop_back();
  if (prefix.empty()) return "";
  prefix.back() = static_cast<char>(static_cast<unsigned char>(prefix.back()) + 1);
  return prefix;
}

Error compacted_error() { return Error{Errc::kFailedPrecondition, "required revision has been compacted", 0}; }

// What the store and its watchers share (watchers may outlive the Store object).
struct Shared {
  std::mutex mu;
  std::condition_variable changed;
  sql::Db db;
  bool closed = false;

  explicit Shared(sql::Db d) : db(std::move(d)) {}

  Result<int64_t> revision() {
    BERTH_ASSIGN_OR_RETURN(sql::Stmt st, db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'kine'"));
    BERTH_ASSIGN_OR_RETURN(bool row, st.step());
    return row ? st.int64(0) : 0;
  }
  Result<int64_t> compacted() {
    BERTH_ASSIGN_OR_RETURN(sql::Stmt st, db.prepare("SELECT v FROM kine_meta WHERE k = 'compact_revision'"));
    BERTH_ASSIGN_OR_RETURN(bool row, st.step());
    return row ? st.int64(0) : 0;
  }
  // The newest row of `key` at or before `rev`.
  Result<std::optional<Row>> latest(const std::string& key, int64_t rev) {
    BERTH_ASSIGN_OR_RETURN(sql::Stmt st, db.prepare(std::string("SELECT ") + kRowColumns +
                                                    " FROM kine WHERE name = ? AND id <= ? ORDER BY id DESC LIMIT 1"));
    st.bind(1, key).bind(2, rev);
    BERTH_ASSIGN_OR_RETURN(bool row, st.step());
    if (!row) return std::optional<Row>();
    return std::optional<Row>(read_row(st));
  }
  Result<int64_t> append(const std::string& key, bool deleted, int64_t create_revision, int64_t prev,
                         const std::string& value) {
    BERTH_ASSIGN_OR_RETURN(sql::Stmt st, db.prepare("INSERT INTO kine (name, deleted, create_revision, prev_revision, "
                                                    "value) VALUES (?, ?, ?, ?, ?)"));
    st.bind(1, key).bind(2, int64_t{deleted}).bind(3, create_revision).bind(4, prev).bind(5, value);
    BERTH_TRY(st.run());
    return static_cast<int64_t>(sqlite3_last_insert_rowid(db.handle()));
  }
  // Checks `rev` against the history kept: 0 = now; older than compaction or newer than now
  // are errors. Returns the revision to read at.
  Result<int64_t> read_revision(int64_t rev) {
    BERTH_ASSIGN_OR_RETURN(int64_t now, revision());
    if (rev == 0) return now;
    if (rev > now) {
      return make_error(Errc::kInvalidArgument, "revision " + std::to_string(rev) + " is in the future (now " +
                                                    std::to_string(now) + ")");
    }
    BERTH_ASSIGN_OR_RETURN(int64_t done, compacted());
    if (rev < done) return tl::unexpected(compacted_error());
    return rev;
  }
};

class SqliteWatcher : public Watcher {
 public:
  SqliteWatcher(std::shared_ptr<Shared> s, std::string prefix, int64_t after)
      : s_(std::move(s)), prefix_(std::move(prefix)), end_(prefix_end(prefix_)), after_(after) {}

  Result<std::vector<Event>> next(std::chrono::milliseconds timeout) override {
    std::unique_lock<std::mutex> l(s_->mu);
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      if (s_->closed) return make_error(Errc::kCanceled, "the store is closed");
      BERTH_ASSIGN_OR_RETURN(int64_t done, s_->compacted());
      if (after_ < done) return tl::unexpected(compacted_error());
      BERTH_ASSIGN_OR_RETURN(std::vector<Event> events, read());
      if (!events.empty()) return events;
      if (s_->changed.wait_until(l, deadline) == std::cv_status::timeout) {
        // One last look: a commit may have come just as the time ran out.
        return read();
      }
    }
  }

 private:
  // Up to 500 events after after_, with their previous values (when not compacted away). By id
  // (NOT INDEXED): the planner's pick, the (name, id) index, scans the whole prefix on every call.
  Result<std::vector<Event>> read() {
    std::string q = std::string("SELECT ") + kRowColumns + " FROM kine NOT INDEXED WHERE id > ? AND name >= ?" +
                    (end_.empty() ? "" : " AND name < ?") + " ORDER BY id LIMIT 500";
    BERTH_ASSIGN_OR_RETURN(sql::Stmt st, s_->db.prepare(q));
    st.bind(1, after_).bind(2, prefix_);
    if (!end_.empty()) st.bind(3, end_);
    std::vector<Row> rows;
    while (true) {
      BERTH_ASSIGN_OR_RETURN(bool row, st.step());
      if (!row) break;
      rows.push_back(read_row(st));
    }
    // The log may hold rows of other keys in between: the watch has seen up to the newest row.
    BERTH_ASSIGN_OR_RETURN(int64_t now, s_->revision());
    std::vector<Event> out;
    for (auto& r : rows) {
      Event e;
      e.type = r.deleted ? Event::Type::kDelete : Event::Type::kPut;
      e.kv = r.kv();
      if (r.prev_revision > 0) {
        BERTH_ASSIGN_OR_RETURN(sql::Stmt p, s_->db.prepare(std::string("SELECT ") + kRowColumns +
                                                           " FROM kine WHERE id = ?"));
        p.bind(1, r.prev_revision);
        BERTH_ASSIGN_OR_RETURN(bool found, p.step());
        if (found) {
          Row pr = read_row(p);
          if (!pr.deleted) e.prev = pr.kv();
        }
      }
      out.push_back(std::move(e));
    }
    after_ = rows.size() == 500 ? rows.back().id : std::max(after_, now);
    return out;
  }

  std::shared_ptr<Shared> s_;
  std::string prefix_, end_;
  int64_t after_;
};

class SqliteStore : public Store {
 public:
  explicit SqliteStore(std::shared_ptr<Shared> s) : s_(std::move(s)) {}
  ~SqliteStore() override {
    std::lock_guard<std::mutex> l(s_->mu);
    s_->closed = true;
    s_->changed.notify_all();
  }

  Result<int64_t> revision() override {
    std::lock_guard<std::mutex> l(s_->mu);
    return s_->revision();
  }

  Result<int64_t> create(const std::string& key, const std::string& value) override {
    return write([&]() -> Result<int64_t> {
      BERTH_ASSIGN_OR_RETURN(auto cur, s_->latest(key, std::numeric_limits<int64_t>::max()));
      if (cur && !cur->deleted) return make_error(Errc::kAlreadyExists, "key exists: " + key);
      BERTH_ASSIGN_OR_RETURN(int64_t rev, s_->append(key, false, 0, cur ? cur->id : 0, value));
      BERTH_ASSIGN_OR_RETURN(sql::Stmt st, s_->db.prepare("UPDATE kine SET create_revision = id WHERE id = ?"));
      st.bind(1, rev);
      BERTH_TRY(st.run());
      return rev;
    });
  }

  Result<KeyValue> get(const std::string& key, int64_t revision) override {
    std::lock_guard<std::mutex> l(s_->mu);
    BERTH_ASSIGN_OR_RETURN(int64_t rev, s_->read_revision(revision));
    BERTH_ASSIGN_OR_RETURN(auto cur, s_->latest(key, rev));
    if (!cur || cur->deleted) return make_error(Errc::kNotFound, "key not found: " + key);
    return cur->kv();
  }

  Result<int64_t> update(const std::string& key, const std::string& value, int64_t expected) override {
    return write([&]() -> Result<int64_t> {
      BERTH_ASSIGN_OR_RETURN(Row cur, current(key, expected));
      return s_->append(key, false, cur.create_revision, cur.id, value);
    });
  }

  Result<KeyValue> remove(const std::string& key, int64_t expected) override {
    KeyValue gone;
    auto written = write([&]() -> Result<int64_t> {
      BERTH_ASSIGN_OR_RETURN(Row cur, current(key, expected));
      BERTH_ASSIGN_OR_RETURN(int64_t rev, s_->append(key, true, cur.create_revision, cur.id, cur.value));
      gone = cur.kv();
      gone.mod_revision = rev;
      return rev;
    });
    if (!written) return tl::unexpected(written.error());
    return gone;
  }

  Result<ListResult> list(const std::string& prefix, const ListOptions& o) override {
    std::lock_guard<std::mutex> l(s_->mu);
    ListResult out;
    BERTH_ASSIGN_OR_RETURN(out.revision, s_->read_revision(o.revision));
    std::string end = prefix_end(prefix);
    // Each key's last row at the revision, walking the (name, id) index in key order, so that
    // a page (LIMIT) stops early instead of grouping every remaining key first.
    std::string q = std::string("SELECT ") + kRowColumns +
                    " FROM kine AS k WHERE name >= ? AND name > ?" + (end.empty() ? "" : " AND name < ?") +
                    " AND id = (SELECT MAX(id) FROM kine WHERE name = k.name AND id <= ?) AND deleted = 0"
                    " ORDER BY name";
    if (o.limit > 0) q += " LIMIT " + std::to_string(o.limit + 1);
    BERTH_ASSIGN_OR_RETURN(sql::Stmt st, s_->db.prepare(q));
    int i = 1;
    st.bind(i++, prefix);
    st.bind(i++, o.start_after);
    if (!end.empty()) st.bind(i++, end);
    st.bind(i, out.revision);
    while (true) {
      BERTH_ASSIGN_OR_RETURN(bool row, st.step());
      if (!row) break;
      out.items.push_back(read_row(st).kv());
    }
    if (o.limit > 0 && static_cast<int64_t>(out.items.size()) > o.limit) {
      out.items.pop_back();
      out.more = true;
    }
    return out;
  }

  Result<std::unique_ptr<Watcher>> watch(const std::string& prefix, int64_t revision) override {
    std::lock_guard<std::mutex> l(s_->mu);
    BERTH_ASSIGN_OR_RETURN(int64_t now, s_->revision());
    int64_t after = revision == 0 ? now : revision;
    BERTH_ASSIGN_OR_RETURN(int64_t done, s_->compacted());
    if (after < done) return tl::unexpected(compacted_error());
    return std::unique_ptr<Watcher>(new SqliteWatcher(s_, prefix, after));
  }

  Result<void> compact(int64_t revision) override {
    auto written = write([&]() -> Result<int64_t> {
      BERTH_ASSIGN_OR_RETURN(int64_t now, s_->revision());
      if (revision > now) {
        return make_error(Errc::kInvalidArgument, "compact revision " + std::to_string(revision) + " is in the future");
      }
      BERTH_ASSIGN_OR_RETURN(sql::Stmt del, s_->db.prepare(
                                                "DELETE FROM kine WHERE id <= ?1 AND (deleted = 1 OR id NOT IN "
                                                "(SELECT MAX(id) FROM kine WHERE id <= ?1 GROUP BY name))"));
      del.bind(1, revision);
      BERTH_TRY(del.run());
      BERTH_ASSIGN_OR_RETURN(sql::Stmt meta, s_->db.prepare(
                                                 "INSERT INTO kine_meta (k, v) VALUES ('compact_revision', ?1) "
                                                 "ON CONFLICT (k) DO UPDATE SET v = MAX(v, ?1)"));
      meta.bind(1, revision);
      BERTH_TRY(meta.run());
      return revision;
    });
    if (!written) return tl::unexpected(written.error());
    return {};
  }

  Result<int64_t> compacted() override {
    std::lock_guard<std::mutex> l(s_->mu);
    return s_->compacted();
  }

 private:
  // The key's current row, checked against `expected` (0 = any).
  Result<Row> current(const std::string& key, int64_t expected) {
    BERTH_ASSIGN_OR_RETURN(auto cur, s_->latest(key, std::numeric_limits<int64_t>::max()));
    if (!cur || cur->deleted) return make_error(Errc::kNotFound, "key not found: " + key);
    if (expected != 0 && cur->id != expected) {
      return make_error(Errc::kConflict, "key " + key + " is at revision " + std::to_string(cur->id) +
                                             ", not " + std::to_string(expected));
    }
    return *cur;
  }

  // `f` in one write transaction; watchers are woken after the commit.
  Result<int64_t> write(const std::function<Result<int64_t>()>& f) {
    std::lock_guard<std::mutex> l(s_->mu);
    BERTH_ASSIGN_OR_RETURN(sql::Tx tx, sql::Tx::begin(s_->db));
    BERTH_ASSIGN_OR_RETURN(int64_t rev, f());
    BERTH_TRY(tx.commit());
    s_->changed.notify_all();
    return rev;
  }

  std::shared_ptr<Shared> s_;
};

}  // namespace

Result<std::unique_ptr<Store>> open_sqlite(const std::string& path) {
  BERTH_ASSIGN_OR_RETURN(sql::Db db, sql::Db::open(path));
  BERTH_TRY(db.exec(kSchema));
  return std::unique_ptr<Store>(new SqliteStore(std::make_shared<Shared>(std::move(db))));
}

}  // namespace berth::store
