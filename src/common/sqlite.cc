#include "common/sqlite.h"

#include <sqlite3.h>

#include <utility>

namespace berth::sql {
namespace {

tl::unexpected<Error> sqlite_error(sqlite3* db, int rc, std::string_view what) {
  Errc code = Errc::kInternal;
  int primary = rc & 0xff;
  if (primary == SQLITE_CONSTRAINT) code = Errc::kConflict;
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) code = Errc::kUnavailable;
  if (primary == SQLITE_NOTADB || primary == SQLITE_CORRUPT) code = Errc::kDataLoss;
  if (primary == SQLITE_CANTOPEN) code = Errc::kUnavailable;
  return make_error(code, std::string(what) + ": " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc)));
}

}  // namespace

Result<Db> Db::open(const std::string& path) {
  sqlite3* h = nullptr;
  // Serialized mode: the daemon's request threads share a connection (the image service's has
  // no lock of its own), which multi-thread mode (NOMUTEX) forbids — parallel image inspects
  // from compose crashed the daemon.
  int rc = sqlite3_open_v2(path.c_str(), &h,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                           nullptr);
  Db db(h);
  if (rc != SQLITE_OK) {
    return sqlite_error(h, rc, "open database `" + path + "`");
  }
  sqlite3_busy_timeout(h, 5000);
  auto r = db.exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;");
  if (!r) {
    return tl::unexpected(wrap(r.error(), "open database `" + path + "`"));
  }
  return db;
}

Db::Db(Db&& o) noexcept : db_(std::exchange(o.db_, nullptr)) {}
Db& Db::operator=(Db&& o) noexcept {
  if (this != &o) {
    sqlite3_close_v2(db_);
    db_ = std::exchange(o.db_, nullptr);
  }
  return *this;
}
Db::~Db() { sqlite3_close_v2(db_); }

Result<void> Db::exec(std::string_view sql) {
  std::string s(sql);
  char* err = nullptr;
  int rc = sqlite3_exec(db_, s.c_str(), nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string msg = err ? err : sqlite3_errstr(rc);
    sqlite3_free(err);
    auto e = sqlite_error(nullptr, rc, "sql");
    e.value().message = "sql: " + msg;
    return e;
  }
  return {};
}

Result<Stmt> Db::prepare(std::string_view sql) {
  sqlite3_stmt* s = nullptr;
  int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &s, nullptr);
  if (rc != SQLITE_OK) {
    return sqlite_error(db_, rc, "prepare");
  }
  return Stmt(db_, s);
}

Stmt::Stmt(Stmt&& o) noexcept : db_(o.db_), s_(std::exchange(o.s_, nullptr)) {}
Stmt& Stmt::operator=(Stmt&& o) noexcept {
  if (this != &o) {
    sqlite3_finalize(s_);
    db_ = o.db_;
    s_ = std::exchange(o.s_, nullptr);
  }
  return *this;
}
Stmt::~Stmt() { sqlite3_finalize(s_); }

Stmt& Stmt::bind(int i, std::string_view v) {
  sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  return *this;
}
Stmt& Stmt::bind(int i, int64_t v) {
  sqlite3_bind_int64(s_, i, v);
  return *this;
}
Stmt& Stmt::bind_null(int i) {
  sqlite3_bind_null(s_, i);
  return *this;
}

Result<bool> Stmt::step() {
  int rc = sqlite3_step(s_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return sqlite_error(db_, rc, "sql");
}

Result<void> Stmt::run() {
  for (;;) {
    BERTH_ASSIGN_OR_RETURN(bool row, step());
    if (!row) return {};
  }
}

std::string Stmt::text(int col) const {
  const unsigned char* t = sqlite3_column_text(s_, col);
  return t ? std::string(reinterpret_cast<const char*>(t),
                         static_cast<size_t>(sqlite3_column_bytes(s_, col)))
           : std::string();
}
int64_t Stmt::int64(int col) const { return sqlite3_column_int64(s_, col); }
bool Stmt::is_null(int col) const { return sqlite3_column_type(s_, col) == SQLITE_NULL; }
void Stmt::reset() {
  sqlite3_reset(s_);
  sqlite3_clear_bindings(s_);
}

Result<Tx> Tx::begin(Db& db) {
  BERTH_TRY(db.exec("BEGIN IMMEDIATE"));
  return Tx(&db);
}
Tx::~Tx() {
  if (db_) {
    (void)db_->exec("ROLLBACK");
  }
}
Result<void> Tx::commit() {
  Db* db = std::exchange(db_, nullptr);
  return db->exec("COMMIT");
}

}  // namespace berth::sql
