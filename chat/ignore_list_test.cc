#include "chat/ignore_list.h"

#include <string>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace chat {
namespace {

EventPtr Said(Event::Kind kind, std::string name, uint64_t origin) {
  return MakeEvent(kind, absl::UnixEpoch(), std::move(name), "text", origin);
}

TEST(IgnoreListTest, AddIsBoundedAndRefusesTheSamePersonTwice) {
  IgnoreList list(2);
  EXPECT_EQ(list.Add("bob", 2), IgnoreList::AddResult::kAdded);
  EXPECT_EQ(list.Add("BOB", 9), IgnoreList::AddResult::kAlready);   // the same name
  EXPECT_EQ(list.Add("robert", 2), IgnoreList::AddResult::kAlready);  // the same person
  EXPECT_EQ(list.Add("carol", 3), IgnoreList::AddResult::kAdded);
  EXPECT_EQ(list.Add("dave", 4), IgnoreList::AddResult::kFull);
  ASSERT_EQ(list.snapshot()->size(), 2u);
  EXPECT_EQ((*list.snapshot())[0].name, "bob");
  EXPECT_EQ((*list.snapshot())[1].name, "carol");
}

TEST(IgnoreListTest, IdZeroIsNobodyInParticular) {
  // A name claimed without a session id (id 0) must not make everyone so claimed one
  // person: the second would be "already ignored" and never hidden.
  IgnoreList list(5);
  EXPECT_EQ(list.Add("alice", 0), IgnoreList::AddResult::kAdded);
  EXPECT_EQ(list.Add("bob", 0), IgnoreList::AddResult::kAdded);
  EXPECT_EQ(list.snapshot()->size(), 2u);
}

TEST(IgnoreListTest, RemoveByNameKeyOrByPerson) {
  IgnoreList list(10);
  list.Add("bob", 2);
  list.Add("carol", 3);
  EXPECT_EQ(list.Remove("nobody", 0), std::nullopt);
  EXPECT_EQ(list.Remove("nobody", 3), "carol");  // carol under another name
  EXPECT_EQ(list.Remove(list.snapshot()->at(0).key, 0), "bob");
  EXPECT_TRUE(list.snapshot()->empty());
}

TEST(IgnoreListTest, FilterHidesLinesEmotesAndPrivateMessagesButNotNotices) {
  IgnoreList list(10);
  IgnoreFilter filter(&list);
  filter.Refresh();
  EXPECT_FALSE(filter.Hides(*Said(Event::Kind::kChat, "bob", 2)));
  list.Add("bob", 2);
  filter.Refresh();
  EXPECT_TRUE(filter.Hides(*Said(Event::Kind::kChat, "bob", 2)));
  EXPECT_TRUE(filter.Hides(*Said(Event::Kind::kEmote, "bob", 2)));
  EXPECT_TRUE(filter.Hides(*Said(Event::Kind::kPrivate, "bob", 2)));
  EXPECT_FALSE(filter.Hides(*Said(Event::Kind::kJoin, "bob", 2)));
  EXPECT_FALSE(filter.Hides(*Said(Event::Kind::kLeave, "bob", 2)));
  EXPECT_FALSE(filter.Hides(*Said(Event::Kind::kRename, "bob", 2)));
  EXPECT_FALSE(filter.Hides(*Said(Event::Kind::kChat, "carol", 3)));
  list.Remove(list.snapshot()->at(0).key, 0);
  filter.Refresh();
  EXPECT_FALSE(filter.Hides(*Said(Event::Kind::kChat, "bob", 2)));
}

TEST(IgnoreListTest, TheIgnoreFollowsThePersonAcrossRenames) {
  IgnoreList list(10);
  IgnoreFilter filter(&list);
  list.Add("bob", 2);
  filter.Refresh();
  EXPECT_TRUE(filter.Hides(*Said(Event::Kind::kChat, "robert", 2)));
}

TEST(IgnoreListTest, AnotherSessionWithTheNameOrALookAlikeIsIgnoredAndStaysSo) {
  IgnoreList list(10);
  IgnoreFilter filter(&list);
  list.Add("bob", 2);
  filter.Refresh();
  // bob reconnects (a new session) as a look-alike, then renames.
  EXPECT_TRUE(filter.Hides(*Said(Event::Kind::kChat, "B0B", 7)));
  EXPECT_THAT(list.snapshot()->at(0).ids, ::testing::ElementsAre(2, 7));
  filter.Refresh();
  EXPECT_TRUE(filter.Hides(*Said(Event::Kind::kChat, "innocent", 7)));
  // A third session under the exact name, found through the remembered verdict.
  EXPECT_TRUE(filter.Hides(*Said(Event::Kind::kChat, "B0B", 8)));
  EXPECT_THAT(list.snapshot()->at(0).ids, ::testing::ElementsAre(2, 7, 8));
  // Restored history has no session: matched by name alone.
  EXPECT_TRUE(filter.Hides(*Said(Event::Kind::kChat, "bob", 0)));
  EXPECT_FALSE(filter.Hides(*Said(Event::Kind::kChat, "alice", 0)));
}

TEST(IgnoreListTest, IdsPerEntryAreBounded) {
  IgnoreList list(10);
  IgnoreFilter filter(&list);
  list.Add("bob", 1);
  for (uint64_t id = 2; id < 100; ++id) {
    filter.Refresh();
    EXPECT_TRUE(filter.Hides(*Said(Event::Kind::kChat, "bob", id)));
  }
  const std::vector<uint64_t>& ids = list.snapshot()->at(0).ids;
  ASSERT_EQ(ids.size(), IgnoreList::kMaxIdsPerEntry);
  EXPECT_EQ(ids.back(), 99u);
}

// The reader changes the list while the writer filters: TSan checks the hand-over.
TEST(IgnoreListTest, ChangesWhileFiltering) {
  IgnoreList list(100);
  std::thread writer([&] {
    IgnoreFilter filter(&list);
    for (int i = 0; i < 2000; ++i) {
      filter.Refresh();
      filter.Hides(*Said(Event::Kind::kChat, "user" + std::to_string(i % 50), 1000 + i));
    }
  });
  for (int i = 0; i < 50; ++i) {
    list.Add("user" + std::to_string(i), 1 + i);
    if (i % 3 == 0) list.Remove(list.snapshot()->front().key, 0);
  }
  writer.join();
  IgnoreFilter filter(&list);
  filter.Refresh();
  EXPECT_TRUE(filter.Hides(*Said(Event::Kind::kChat, "user49", 49 + 1)));
}

}  // namespace
}  // namespace chat
