// chat/testing/identity_fixture.h: SessionFixture with registered names on: a fresh
// SQLite store per test, a login throttle, and the fastest password hashing.

#ifndef CHAT_TESTING_IDENTITY_FIXTURE_H_
#define CHAT_TESTING_IDENTITY_FIXTURE_H_

#include <cstdio>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "chat/identity/login_throttle.h"
#include "chat/identity/password.h"
#include "chat/identity/sqlite_store.h"
#include "chat/testing/session_fixture.h"
#include "chat/testing/test_files.h"
#include "gtest/gtest.h"

namespace chat::testing {

class IdentitySessionFixture : public SessionFixture {
 protected:
  void SetUp() override {
    SessionFixture::SetUp();
    db_path_ = TempPath(absl::StrCat(
        ::testing::UnitTest::GetInstance()->current_test_info()->name(), ".db"));
    std::remove(db_path_.c_str());
    std::remove(absl::StrCat(db_path_, "-wal").c_str());
    absl::StatusOr<std::unique_ptr<identity::SqliteStore>> store =
        identity::SqliteStore::Open(db_path_);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
    throttle_ = std::make_unique<identity::LoginThrottle>();
    context_.identity = store_.get();
    context_.login_throttle = throttle_.get();
    context_.password_options = identity::PasswordOptions::FastForTests();
  }
  // The sessions use the store and the throttle: wait for them before those go. A
  // derived fixture's TearDown calls this one.
  void TearDown() override { AwaitSessionsFinished(); }

  std::string db_path_;
  std::unique_ptr<identity::SqliteStore> store_;
  std::unique_ptr<identity::LoginThrottle> throttle_;
};

}  // namespace chat::testing

#endif  // CHAT_TESTING_IDENTITY_FIXTURE_H_
