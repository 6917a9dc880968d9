// A thin RAII layer over SQLite: one connection, prepared statements, transactions.
// Built as its own library (berth_sqlite) so that the runtime binary never loads it.
// Databases are opened in WAL mode with a busy timeout, so several processes may share one
// file (SQLite's own locking; sqlite.org/wal.html).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/error.h"

struct sqlite3;
struct sqlite3_stmt;

namespace berth::sql {

class Stmt;

class Db {
 public:
  // Opens (creating) `path`, WAL, foreign keys on, 5 s busy timeout, serialized threading
  // mode (one connection may be used from several threads; a statement from one at a time).
  // Errors: kUnavailable (cannot open), kDataLoss (not a database).
  static Result<Db> open(const std::string& path);
  Db(Db&&) noexcept;
  Db& operator=(Db&&) noexcept;
  ~Db();

  // Runs one or more statements without results. Errors: kInternal with SQLite's message.
  Result<void> exec(std::string_view sql);
  // Errors: kInternal (bad SQL).
  Result<Stmt> prepare(std::string_view sql);
  sqlite3* handle() const { return db_; }

 private:
  explicit Db(sqlite3* db) : db_(db) {}
  sqlite3* db_ = nullptr;
};

class Stmt {
 public:
  Stmt(Stmt&&) noexcept;
  Stmt& operator=(Stmt&&) noexcept;
  ~Stmt();

  // Binds parameter `i` (1-based). Chainable.
  Stmt& bind(int i, std::string_view v);
  Stmt& bind(int i, int64_t v);
  Stmt& bind_null(int i);
  // Next row: true when a row is ready, false when done. Errors: kConflict (constraint),
  // kUnavailable (busy), kInternal.
  Result<bool> step();
  // Runs to completion ignoring rows.
  Result<void> run();
  std::string text(int col) const;
  int64_t int64(int col) const;
  bool is_null(int col) const;
  void reset();

 private:
  friend class Db;
  Stmt(sqlite3* db, sqlite3_stmt* s) : db_(db), s_(s) {}
  sqlite3* db_ = nullptr;
  sqlite3_stmt* s_ = nullptr;
};

// BEGIN IMMEDIATE ... COMMIT; rolls back when destroyed uncommitted.
class Tx {
 public:
  static Result<Tx> begin(Db& db);
  Tx(Tx&& o) noexcept : db_(o.db_) { o.db_ = nullptr; }
  Tx& operator=(Tx&&) = delete;
  ~Tx();
  Result<void> commit();

 private:
  explicit Tx(Db* db) : db_(db) {}
  Db* db_;
};

}  // namespace berth::sql
