// The store's semantics (store.h), run against every backend: revisions, create-if-absent,
// compare-and-swap, lists at a revision with limit and continue, watches that lose nothing,
// compaction, persistence. Expected behaviour: etcd v3's (mvcc/kvstore, watch) as the
// Kubernetes API server relies on it (storage/etcd3).
#include "store/store.h"

#include <gtest/gtest.h>

#include <thread>

#include "common/fs.h"
#include "support/process.h"

namespace berth::store {
namespace {

using namespace std::chrono_literals;

class StoreTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    dir_ = test::make_temp_dir("berth-store");
    reopen();
  }
  void TearDown() override {
    store_.reset();
    (void)fs::remove_all(dir_);
  }
  void reopen() {
    store_.reset();
    auto s = open_sqlite(dir_ + "/state.db");
    ASSERT_TRUE(s) << s.error().message;
    store_ = std::move(*s);
  }
  std::vector<std::string> keys(const ListResult& l) {
    std::vector<std::string> out;
    for (auto& kv : l.items) out.push_back(kv.key);
    return out;
  }
  std::string dir_;
  std::unique_ptr<Store> store_;
};

TEST_P(StoreTest, RevisionsCountEveryChange) {
  EXPECT_EQ(*store_->revision(), 0);
  auto r1 = store_->create("/registry/configmaps/default/a", "v1");
  ASSERT_TRUE(r1);
  EXPECT_EQ(*r1, 1);
  EXPECT_EQ(store_->create("/registry/configmaps/default/a", "again").error().code, Errc::kAlreadyExists);
  auto r2 = store_->update("/registry/configmaps/default/a", "v2", 1);
  ASSERT_TRUE(r2);
  EXPECT_EQ(*r2, 2);
  auto kv = store_->get("/registry/configmaps/default/a");
  ASSERT_TRUE(kv);
  EXPECT_EQ(kv->value, "v2");
  EXPECT_EQ(kv->create_revision, 1);
  EXPECT_EQ(kv->mod_revision, 2);
  // An older revision still reads the old value.
  EXPECT_EQ(store_->get("/registry/configmaps/default/a", 1)->value, "v1");
  // Compare-and-swap: a stale revision is a conflict and changes nothing.
  EXPECT_EQ(store_->update("/registry/configmaps/default/a", "v3", 1).error().code, Errc::kConflict);
  EXPECT_EQ(store_->remove("/registry/configmaps/default/a", 1).error().code, Errc::kConflict);
  EXPECT_EQ(*store_->revision(), 2);
  auto gone = store_->remove("/registry/configmaps/default/a", 2);
  ASSERT_TRUE(gone);
  EXPECT_EQ(gone->value, "v2");
  EXPECT_EQ(gone->mod_revision, 3);
  EXPECT_EQ(store_->get("/registry/configmaps/default/a").error().code, Errc::kNotFound);
  EXPECT_EQ(store_->update("/registry/configmaps/default/a", "x", 0).error().code, Errc::kNotFound);
  // Created again: a new incarnation with its own create_revision.
  ASSERT_TRUE(store_->create("/registry/configmaps/default/a", "v4"));
  EXPECT_EQ(store_->get("/registry/configmaps/default/a")->create_revision, 4);
  EXPECT_EQ(store_->get("/registry/configmaps/default/a", 5).error().code, Errc::kInvalidArgument);
}

TEST_P(StoreTest, ListsByPrefixWithLimitContinueAndRevision) {
  for (auto* k : {"/r/pods/b/2", "/r/pods/a/1", "/r/pods/a/2", "/r/podsx/a", "/r/services/a/1"}) {
    ASSERT_TRUE(store_->create(k, k));
  }
  auto all = store_->list("/r/pods/", {});
  ASSERT_TRUE(all);
  EXPECT_EQ(keys(*all), (std::vector<std::string>{"/r/pods/a/1", "/r/pods/a/2", "/r/pods/b/2"}));
  EXPECT_EQ(all->revision, 5);
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
  ASSERT_TRUE(store_->create("/w/a", "1"));  // rev 1
  auto w = store_->watch("/w/", 1);          // after revision 1
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
  ASSERT_TRUE(store_->create("/c/a", "1"));     // 1
  ASSERT_TRUE(store_->update("/c/a", "2", 0));  // 2
  ASSERT_TRUE(store_->create("/c/b", "1"));     // 3
  ASSERT_TRUE(store_->remove("/c/b", 0));       // 4
  ASSERT_TRUE(store_->create("/c/c", "1"));     // 5
  auto old_watch = store_->watch("/c/", 1);
  ASSERT_TRUE(store_->compact(4));
  EXPECT_EQ(*store_->compacted(), 4);
  EXPECT_EQ(store_->get("/c/a")->value, "2");
  EXPECT_EQ(store_->get("/c/a", 1).error().code, Errc::kFailedPrecondition);
  EXPECT_EQ(store_->list("/c/", {.limit = 0, .start_after = "", .revision = 2}).error().code,
            Errc::kFailedPrecondition);
  EXPECT_EQ(store_->watch("/c/", 2).error().code, Errc::kFailedPrecondition);
  // A watch that still needed the compacted history ends with the same error (410 Gone).
  EXPECT_EQ((*old_watch)->next(10ms).error().code, Errc::kFailedPrecondition);
  EXPECT_EQ(keys(*store_->list("/c/", {})), (std::vector<std::string>{"/c/a", "/c/c"}));
  EXPECT_TRUE(store_->watch("/c/", 4));
  EXPECT_EQ(store_->compact(99).error().code, Errc::kInvalidArgument);
}

TEST_P(StoreTest, StateAndRevisionSurviveReopening) {
  ASSERT_TRUE(store_->create("/p/a", "1"));
  ASSERT_TRUE(store_->create("/p/b", "1"));
  ASSERT_TRUE(store_->remove("/p/b", 0));
  ASSERT_TRUE(store_->compact(3));
  reopen();
  EXPECT_EQ(*store_->revision(), 3);  // not reused after the compacted delete
  EXPECT_EQ(store_->get("/p/a")->value, "1");
  EXPECT_EQ(*store_->create("/p/c", "1"), 4);
  EXPECT_EQ(*store_->compacted(), 3);
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreTest, ::testing::Values("sqlite"));

}  // namespace
}  // namespace berth::store
