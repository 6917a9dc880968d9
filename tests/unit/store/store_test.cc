// The store's semantics (store.h), run against every backend: revisions, create-if-absent,
// compare-and-swap, lists at a revision with limit and continue, watches that lose nothing,
// compaction, persistence. Expected behaviour: etcd v3's (mvcc/kvstore, watch) as the
// Kubernetes API server relies on it (storage/etcd3).
#include "store/store.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include "common/fs.h"
#include "support/process.h"
#include "support/registry.h"

namespace berth::store {
namespace {

using namespace std::chrono_literals;

class StoreTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    dir_ = test::make_temp_dir("berth-store");
    if (GetParam() == "etcd") {
      // A private etcd on loopback ports of its own.
      if (test::sh("command -v etcd").status != 0) GTEST_SKIP() << "etcd is not installed";
      int client = test::free_tcp_port(), peer = test::free_tcp_port();
      endpoint_ = "http://127.0.0.1:" + std::to_string(client);
      std::string peer_url = "http://127.0.0.1:" + std::to_string(peer);
      ASSERT_TRUE(etcd_.start({"etcd", "--data-dir", dir_ + "/etcd", "--listen-client-urls", endpoint_,
                               "--advertise-client-urls", endpoint_, "--listen-peer-urls", peer_url,
                               "--initial-advertise-peer-urls", peer_url, "--initial-cluster",
                               "default=" + peer_url},
                              dir_ + "/etcd.log"));
      for (int i = 0; i < 200 && test::sh("curl -sf " + endpoint_ + "/health >/dev/null").status != 0; ++i) {
        usleep(50000);
      }
    }
    reopen();
    ASSERT_TRUE(store_);
    base_ = *store_->revision();
  }
  void TearDown() override {
    store_.reset();
    etcd_.stop();
    (void)fs::remove_all(dir_);
  }
  void reopen() {
    store_.reset();
    auto s = GetParam() == "etcd" ? open_etcd(endpoint_) : open_sqlite(dir_ + "/state.db");
    ASSERT_TRUE(s) << s.error().message;
    store_ = std::move(*s);
  }
  int64_t base_ = 0;  // the revision of the empty store (etcd starts at 1)
  std::string endpoint_;
  test::Daemon etcd_;
  std::vector<std::string> keys(const ListResult& l) {
    std::vector<std::string> out;
    for (auto& kv : l.items) out.push_back(kv.key);
    return out;
  }
  std::string dir_;
  std::unique_ptr<Store> store_;
};

TEST_P(StoreTest, RevisionsCountEveryChange) {
  EXPECT_EQ(*store_->revision(), base_);
  auto r1 = store_->create("/registry/configmaps/default/a", "v1");
  ASSERT_TRUE(r1);
  EXPECT_EQ(*r1, base_ + 1);
  EXPECT_EQ(store_->create("/registry/configmaps/default/a", "again").error().code, Errc::kAlreadyExists);
  auto r2 = store_->update("/registry/configmaps/default/a", "v2", base_ + 1);
  ASSERT_TRUE(r2);
  EXPECT_EQ(*r2, base_ + 2);
  auto kv = store_->get("/registry/configmaps/default/a");
  ASSERT_TRUE(kv);
  EXPECT_EQ(kv->value, "v2");
  EXPECT_EQ(kv->create_revision, base_ + 1);
  EXPECT_EQ(kv->mod_revision, base_ + 2);
  // An older revision still reads the old value.
  EXPECT_EQ(store_->get("/registry/configmaps/default/a", base_ + 1)->value, "v1");
  // Compare-and-swap: a stale revision is a conflict and changes nothing.
  EXPECT_EQ(store_->update("/registry/configmaps/default/a", "v3", base_ + 1).error().code, Errc::kConflict);
  EXPECT_EQ(store_->remove("/registry/configmaps/default/a", base_ + 1).error().code, Errc::kConflict);
  EXPECT_EQ(*store_->revision(), base_ + 2);
  auto gone = store_->remove("/registry/configmaps/default/a", base_ + 2);
  ASSERT_TRUE(gone);
  EXPECT_EQ(gone->value, "v2");
  EXPECT_EQ(gone->mod_revision, base_ + 3);
  EXPECT_EQ(store_->get("/registry/configmaps/default/a").error().code, Errc::kNotFound);
  EXPECT_EQ(store_->update("/registry/configmaps/default/a", "x", 0).error().code, Errc::kNotFound);
  // Created again: a new incarnation with its own create_revision.
  ASSERT_TRUE(store_->create("/registry/configmaps/default/a", "v4"));
  EXPECT_EQ(store_->get("/registry/configmaps/default/a")->create_revision, base_ + 4);
  EXPECT_EQ(store_->get("/registry/configmaps/default/a", base_ + 5).error().code, Errc::kInvalidArgument);
}

TEST_P(StoreTest, ListsByPrefixWithLimitContinueAndRevision) {
  for (auto* k : {"/r/pods/b/2", "/r/pods/a/1", "/r/pods/a/2", "/r/podsx/a", "/r/services/a/1"}) {
    ASSERT_TRUE(store_->create(k, k));
  }
  auto all = store_->list("/r/pods/", {});
  ASSERT_TRUE(all);
  EXPECT_EQ(keys(*all), (std::vector<std::string>{"/r/pods/a/1", "/r/pods/a/2", "/r/pods/b/2"}));
  EXPECT_EQ(all->revision, base_ + 5);
  EXPECT_FALSE(all->more);
  // Pages of two, each continuing after the last key, at the first page's revision.
  ListOptions o;
  o.limit = 2;
  auto p1 = store_->list("/r/pods/", o);
  EXPECT_EQ(keys(*p1), (std::vector<std::string>{"/r/pods/a/1", "/r/pods/a/2"}));
  EXPECT_TRUE(p1->more);
  ASSERT_TRUE(store_->remove("/r/pods/b/2", 0));  // after the first page
  o.start_after = p1->items.back().key;
  o.revision = p1->revision;
  auto p2 = store_->list("/r/pods/", o);
  EXPECT_EQ(keys(*p2), (std::vector<std::string>{"/r/pods/b/2"}));  // as of the first page
  EXPECT_FALSE(p2->more);
  EXPECT_EQ(keys(*store_->list("/r/pods/", {})), (std::vector<std::string>{"/r/pods/a/1", "/r/pods/a/2"}));
  EXPECT_EQ(store_->list("/r/", {})->items.size(), 4u);
}

TEST_P(StoreTest, WatchDeliversEveryChangeInOrderFromARevision) {
  ASSERT_TRUE(store_->create("/w/a", "1"));
  auto w = store_->watch("/w/", base_ + 1);  // after that create
  ASSERT_TRUE(w);
  // Two writers at once, plus writes outside the prefix.
  std::thread t1([&] {
    for (int i = 0; i < 50; ++i) (void)store_->update("/w/a", "a" + std::to_string(i), 0);
  });
  std::thread t2([&] {
    for (int i = 0; i < 50; ++i) {
      (void)store_->create("/w/b" + std::to_string(i), "b");
      (void)store_->create("/other/" + std::to_string(i), "x");
    }
  });
  std::vector<Event> got;
  while (got.size() < 100) {
    auto ev = (*w)->next(5s);
    ASSERT_TRUE(ev) << ev.error().message;
    ASSERT_FALSE(ev->empty()) << "only " << got.size() << " events";
    got.insert(got.end(), ev->begin(), ev->end());
  }
  t1.join();
  t2.join();
  ASSERT_EQ(got.size(), 100u);
  for (size_t i = 1; i < got.size(); ++i) EXPECT_LT(got[i - 1].revision(), got[i].revision());
  for (auto& e : got) EXPECT_TRUE(e.kv.key.starts_with("/w/")) << e.kv.key;
  // An update carries the value before it.
  auto first_a = std::find_if(got.begin(), got.end(), [](auto& e) { return e.kv.key == "/w/a"; });
  ASSERT_NE(first_a, got.end());
  ASSERT_TRUE(first_a->prev);
  EXPECT_EQ(first_a->prev->value, "1");
  // A delete is an event with the last value.
  auto w2 = store_->watch("/w/a", 0);
  ASSERT_TRUE(store_->remove("/w/a", 0));
  auto del = (*w2)->next(5s);
  ASSERT_TRUE(del);
  ASSERT_EQ(del->size(), 1u);
  EXPECT_EQ((*del)[0].type, Event::Type::kDelete);
  EXPECT_EQ((*del)[0].kv.value, "a49");
  // Nothing more: next() waits its timeout and returns none.
  EXPECT_TRUE((*w2)->next(50ms)->empty());
}

TEST_P(StoreTest, CompactionForgetsHistoryButNotCurrentValues) {
  ASSERT_TRUE(store_->create("/c/a", "1"));     // base + 1
  ASSERT_TRUE(store_->update("/c/a", "2", 0));  // + 2
  ASSERT_TRUE(store_->create("/c/b", "1"));     // + 3
  ASSERT_TRUE(store_->remove("/c/b", 0));       // + 4
  ASSERT_TRUE(store_->create("/c/c", "1"));     // + 5
  auto old_watch = store_->watch("/c/", base_ + 1);
  ASSERT_TRUE(store_->compact(base_ + 4));
  EXPECT_EQ(*store_->compacted(), base_ + 4);
  EXPECT_EQ(store_->get("/c/a")->value, "2");
  EXPECT_EQ(store_->get("/c/a", base_ + 1).error().code, Errc::kFailedPrecondition);
  EXPECT_EQ(store_->list("/c/", {.limit = 0, .start_after = "", .revision = base_ + 2}).error().code,
            Errc::kFailedPrecondition);
  EXPECT_EQ(store_->watch("/c/", base_ + 2).error().code, Errc::kFailedPrecondition);
  // A watch from before the compaction either had its events already or ends with the same
  // error (410 Gone): never a silent gap.
  auto old_events = (*old_watch)->next(2s);
  if (old_events) {
    EXPECT_EQ(old_events->size(), 4u);
  } else {
    EXPECT_EQ(old_events.error().code, Errc::kFailedPrecondition);
  }
  EXPECT_EQ(keys(*store_->list("/c/", {})), (std::vector<std::string>{"/c/a", "/c/c"}));
  EXPECT_TRUE(store_->watch("/c/", base_ + 4));
  EXPECT_EQ(store_->compact(base_ + 99).error().code, Errc::kInvalidArgument);
}

TEST_P(StoreTest, StateAndRevisionSurviveReopening) {
  ASSERT_TRUE(store_->create("/p/a", "1"));
  ASSERT_TRUE(store_->create("/p/b", "1"));
  ASSERT_TRUE(store_->remove("/p/b", 0));
  ASSERT_TRUE(store_->compact(base_ + 3));
  reopen();
  EXPECT_EQ(*store_->revision(), base_ + 3);  // not reused after the compacted delete
  EXPECT_EQ(store_->get("/p/a")->value, "1");
  EXPECT_EQ(*store_->create("/p/c", "1"), base_ + 4);
  EXPECT_EQ(*store_->compacted(), base_ + 3);
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreTest, ::testing::Values("sqlite", "etcd"),
                         [](const auto& p) { return p.param; });

}  // namespace
}  // namespace berth::store
