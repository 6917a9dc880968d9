// The etcd v3 backend of store.h, spoken through etcd's JSON gateway (/v3/kv/range, /v3/kv/txn,
// /v3/kv/compaction, /v3/watch: etcd's api/etcdserverpb/rpc.proto over HTTP, keys and values
// base64, int64s as strings) with libcurl — no gRPC stack needed. Create and CAS are
// transactions comparing create_revision or mod_revision, as the API server's etcd3 store
// does them. Each watch is one streaming POST /v3/watch on a thread of its own.
#include <curl/curl.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "common/json.h"
#include "common/strings.h"
#include "store/store.h"

namespace berth::store {
namespace {

std::string b64(const std::string& s) { return str::base64_encode(s); }
std::string unb64(const Json& j) {
  return j.is_string() ? str::base64_decode(j.get<std::string>()).value_or("") : "";
}
int64_t num(const Json& j, const char* k) {
  auto it = j.find(k);
  if (it == j.end()) return 0;
  if (it->is_number()) return it->get<int64_t>();
  return it->is_string() ? str::parse_int(it->get<std::string>()).value_or(0) : 0;
}

std::string range_end(std::string prefix) {
  while (!prefix.empty() && static_cast<unsigned char>(prefix.back()) == 0xff) prefix.pop_back();
  if (prefix.empty()) return std::string(1, '\0');  // etcd: "\0" = every key from `key` on
  prefix.back() = static_cast<char>(static_cast<unsigned char>(prefix.back()) + 1);
  return prefix;
}

KeyValue to_kv(const Json& j) {
  return {unb64(j.value("key", Json())), unb64(j.value("value", Json())), num(j, "create_revision"),
          num(j, "mod_revision")};
}

// etcd's errors as ours: compaction and future revisions first (the API maps them to 410 and
// 400), then by gRPC code.
Error etcd_error(const std::string& message, int code) {
  if (message.find("required revision has been compacted") != std::string::npos) {
    return {Errc::kFailedPrecondition, "required revision has been compacted", 0};
  }
  if (message.find("future revision") != std::string::npos) return {Errc::kInvalidArgument, message, 0};
  if (code == 14) return {Errc::kUnavailable, "etcd: " + message, 0};
  return {Errc::kInternal, "etcd: " + message, 0};
}

size_t collect(char* d, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(d, size * n);
  return size * n;
}

class EtcdStore;

class EtcdWatcher : public Watcher {
 public:
  EtcdWatcher(std::string endpoint, Json request) {
    thread_ = std::thread([this, endpoint = std::move(endpoint), request = std::move(request)] {
      run(endpoint, request);
    });
  }
  ~EtcdWatcher() override {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }

  Result<std::vector<Event>> next(std::chrono::milliseconds timeout) override {
    std::unique_lock<std::mutex> l(mu_);
    cv_.wait_for(l, timeout, [&] { return !events_.empty() || error_; });
    if (!events_.empty()) {
      std::vector<Event> out(events_.begin(), events_.end());
      events_.clear();
      return out;
    }
    if (error_) return tl::unexpected(*error_);
    return std::vector<Event>{};
  }

 private:
  void run(const std::string& endpoint, const Json& request) {
    std::unique_ptr<CURL, void (*)(CURL*)> c(curl_easy_init(), curl_easy_cleanup);
    std::string body = dump_json(request);
    std::string url = endpoint + "/v3/watch";
    curl_easy_setopt(c.get(), CURLOPT_URL, url.c_str());
    curl_easy_setopt(c.get(), CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(c.get(), CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c.get(), CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c.get(), CURLOPT_WRITEDATA, this);
    // The progress callback is how stop_ ends an idle stream (it runs about once a second).
    curl_easy_setopt(c.get(), CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c.get(), CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(c.get(), CURLOPT_XFERINFODATA, this);
    CURLcode rc = curl_easy_perform(c.get());
    std::lock_guard<std::mutex> l(mu_);
    if (!error_) {
      error_ = rc == CURLE_ABORTED_BY_CALLBACK
                   ? Error{Errc::kCanceled, "the watch was closed", 0}
                   : Error{Errc::kUnavailable, std::string("etcd watch ended: ") + curl_easy_strerror(rc), 0};
    }
    cv_.notify_all();
  }
  static int on_progress(void* p, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
    return static_cast<EtcdWatcher*>(p)->stop_ ? 1 : 0;
  }
  static size_t on_data(char* d, size_t size, size_t n, void* p) {
    auto* w = static_cast<EtcdWatcher*>(p);
    w->pending_.append(d, size * n);
    size_t nl;
    while ((nl = w->pending_.find('\n')) != std::string::npos) {
      std::string line = w->pending_.substr(0, nl);
      w->pending_.erase(0, nl + 1);
      if (!w->message(line)) return 0;
    }
    return w->stop_ ? 0 : size * n;
  }
  // One streamed WatchResponse; false ends the stream.
  bool message(const std::string& line) {
    auto j = parse_json(line, "etcd watch");
    if (!j || !j->is_object()) return true;
    std::lock_guard<std::mutex> l(mu_);
    if (j->contains("error")) {
      Json e = (*j)["error"];
      error_ = etcd_error(e.value("message", ""), static_cast<int>(num(e, "code")));
      cv_.notify_all();
      return false;
    }
    Json r = j->value("result", Json::object());
    if (num(r, "compact_revision") > 0 || r.value("canceled", false)) {
      error_ = num(r, "compact_revision") > 0 ? Error{Errc::kFailedPrecondition, "required revision has been compacted", 0}
                                              : Error{Errc::kCanceled, "etcd canceled the watch: " + r.value("cancel_reason", ""), 0};
      cv_.notify_all();
      return false;
    }
    for (auto& e : r.value("events", Json::array())) {
      Event ev;
      ev.type = e.value("type", "PUT") == "DELETE" ? Event::Type::kDelete : Event::Type::kPut;
      ev.kv = to_kv(e.value("kv", Json::object()));
      if (auto p = e.find("prev_kv"); p != e.end() && p->is_object()) ev.prev = to_kv(*p);
      if (ev.type == Event::Type::kDelete && ev.prev) {
        // etcd's delete event has only the key: the value is the one before.
        int64_t rev = ev.kv.mod_revision;
        ev.kv = *ev.prev;
        ev.kv.mod_revision = rev;
      }
      events_.push_back(std::move(ev));
    }
    cv_.notify_all();
    return true;
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Event> events_;
  std::optional<Error> error_;
  std::string pending_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

class EtcdStore : public Store {
 public:
  explicit EtcdStore(std::string endpoint) : endpoint_(std::move(endpoint)) {}

  // One unary call of the gateway. Errors: etcd's (etcd_error), kUnavailable when unreachable.
  Result<Json> call(const std::string& path, const Json& body) {
    std::unique_ptr<CURL, void (*)(CURL*)> c(curl_easy_init(), curl_easy_cleanup);
    std::string url = endpoint_ + path, text = dump_json(body), out;
    curl_easy_setopt(c.get(), CURLOPT_URL, url.c_str());
    curl_easy_setopt(c.get(), CURLOPT_POSTFIELDS, text.c_str());
    curl_easy_setopt(c.get(), CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c.get(), CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(c.get(), CURLOPT_TIMEOUT, 60L);
    curl_easy_setopt(c.get(), CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c.get(), CURLOPT_WRITEDATA, &out);
    CURLcode rc = curl_easy_perform(c.get());
    if (rc != CURLE_OK) {
      return make_error(Errc::kUnavailable, "etcd at " + endpoint_ + ": " + curl_easy_strerror(rc));
    }
    long status = 0;
    curl_easy_getinfo(c.get(), CURLINFO_RESPONSE_CODE, &status);
    BERTH_ASSIGN_OR_RETURN(Json j, parse_json(out, "etcd answer"));
    if (status != 200) {
      return tl::unexpected(etcd_error(j.value("message", j.value("error", out)), static_cast<int>(num(j, "code"))));
    }
    return j;
  }

  Result<int64_t> revision() override {
    BERTH_ASSIGN_OR_RETURN(Json r, call("/v3/kv/range", {{"key", b64("\x01")}, {"count_only", true}}));
    return num(r.value("header", Json::object()), "revision");
  }

  Result<int64_t> create(const std::string& key, const std::string& value) override {
    Json txn = {{"compare", {{{"key", b64(key)}, {"target", "CREATE"}, {"result", "EQUAL"}, {"create_revision", 0}}}},
                {"success", {{{"request_put", {{"key", b64(key)}, {"value", b64(value)}}}}}}};
    BERTH_ASSIGN_OR_RETURN(Json r, call("/v3/kv/txn", txn));
    if (!r.value("succeeded", false)) return make_error(Errc::kAlreadyExists, "key exists: " + key);
    return num(r.value("header", Json::object()), "revision");
  }

  Result<KeyValue> get(const std::string& key, int64_t revision) override {
    Json req = {{"key", b64(key)}};
    if (revision) req["revision"] = revision;
    BERTH_ASSIGN_OR_RETURN(Json r, call("/v3/kv/range", req));
    auto kvs = r.value("kvs", Json::array());
    if (kvs.empty()) return make_error(Errc::kNotFound, "key not found: " + key);
    return to_kv(kvs[0]);
  }

  Result<int64_t> update(const std::string& key, const std::string& value, int64_t expected) override {
    BERTH_ASSIGN_OR_RETURN(Json r, cas(key, expected, {{"request_put", {{"key", b64(key)}, {"value", b64(value)}}}}));
    return num(r.value("header", Json::object()), "revision");
  }

  Result<KeyValue> remove(const std::string& key, int64_t expected) override {
    BERTH_ASSIGN_OR_RETURN(Json r, cas(key, expected, {{"request_delete_range", {{"key", b64(key)}, {"prev_kv", true}}}}));
    KeyValue gone;
    for (auto& resp : r.value("responses", Json::array())) {
      auto prev = resp.value("response_delete_range", Json::object()).value("prev_kvs", Json::array());
      if (!prev.empty()) gone = to_kv(prev[0]);
    }
    gone.mod_revision = num(r.value("header", Json::object()), "revision");
    return gone;
  }

  Result<ListResult> list(const std::string& prefix, const ListOptions& o) override {
    std::string start = o.start_after.empty() || o.start_after < prefix ? prefix : o.start_after + std::string(1, '\0');
    if (start.empty()) start = std::string(1, '\0');
    Json req = {{"key", b64(start)}, {"range_end", b64(range_end(prefix))}};
    if (o.limit > 0) req["limit"] = o.limit;
    if (o.revision) req["revision"] = o.revision;
    BERTH_ASSIGN_OR_RETURN(Json r, call("/v3/kv/range", req));
    ListResult out;
    for (auto& kv : r.value("kvs", Json::array())) out.items.push_back(to_kv(kv));
    out.more = r.value("more", false);
    out.revision = o.revision ? o.revision : num(r.value("header", Json::object()), "revision");
    return out;
  }

  Result<std::unique_ptr<Watcher>> watch(const std::string& prefix, int64_t revision) override {
    int64_t after = revision;
    if (after == 0) {
      BERTH_ASSIGN_OR_RETURN(after, this->revision());
    } else {
      // A compacted start fails now rather than on the stream (a read at it says so).
      BERTH_TRY(call("/v3/kv/range", {{"key", b64("\x01")}, {"count_only", true}, {"revision", after}}));
    }
    Json create = {{"key", b64(prefix.empty() ? std::string(1, '\0') : prefix)},
                   {"range_end", b64(range_end(prefix))},
                   {"start_revision", after + 1},
                   {"prev_kv", true}};
    return std::unique_ptr<Watcher>(new EtcdWatcher(endpoint_, Json{{"create_request", create}}));
  }

  Result<void> compact(int64_t revision) override {
    BERTH_TRY(call("/v3/kv/compaction", {{"revision", revision}, {"physical", true}}));
    return {};
  }

  // etcd does not say: the oldest revision a read still works at, by bisection.
  Result<int64_t> compacted() override {
    BERTH_ASSIGN_OR_RETURN(int64_t hi, revision());
    int64_t lo = 1;
    while (lo < hi) {
      int64_t mid = lo + (hi - lo) / 2;
      auto r = call("/v3/kv/range", {{"key", b64("\x01")}, {"count_only", true}, {"revision", mid}});
      if (r) {
        hi = mid;
      } else if (r.error().code == Errc::kFailedPrecondition) {
        lo = mid + 1;
      } else {
        return tl::unexpected(r.error());
      }
    }
    return lo <= 1 ? 0 : lo;
  }

 private:
  // A transaction doing `op` when `key` exists and (expected != 0) is at `expected`.
  Result<Json> cas(const std::string& key, int64_t expected, const Json& op) {
    Json cmp = expected != 0
                   ? Json{{"key", b64(key)}, {"target", "MOD"}, {"result", "EQUAL"}, {"mod_revision", expected}}
                   : Json{{"key", b64(key)}, {"target", "CREATE"}, {"result", "GREATER"}, {"create_revision", 0}};
    Json txn = {{"compare", {cmp}}, {"success", {op}}, {"failure", {{{"request_range", {{"key", b64(key)}}}}}}};
    BERTH_ASSIGN_OR_RETURN(Json r, call("/v3/kv/txn", txn));
    if (r.value("succeeded", false)) return r;
    for (auto& resp : r.value("responses", Json::array())) {
      auto kvs = resp.value("response_range", Json::object()).value("kvs", Json::array());
      if (!kvs.empty()) {
        return make_error(Errc::kConflict, "key " + key + " is at revision " + std::to_string(num(kvs[0], "mod_revision")) +
                                               ", not " + std::to_string(expected));
      }
    }
    return make_error(Errc::kNotFound, "key not found: " + key);
  }

  std::string endpoint_;
};

}  // namespace

Result<std::unique_ptr<Store>> open_etcd(const std::string& endpoint) {
  static bool once = (curl_global_init(CURL_GLOBAL_DEFAULT), true);
  (void)once;
  std::string url = endpoint;
  if (url.starts_with("etcd://")) url = "http://" + url.substr(7);
  if (!url.starts_with("http://") && !url.starts_with("https://")) {
    return make_error(Errc::kInvalidArgument, "datastore endpoint \"" + endpoint + "\": want http://HOST:PORT");
  }
  while (url.ends_with("/")) url.pop_back();
  auto s = std::make_unique<EtcdStore>(url);
  BERTH_TRY(s->revision().map([](int64_t) {}));  // reachable, and speaks the v3 gateway
  return std::unique_ptr<Store>(std::move(s));
}

}  // namespace berth::store
