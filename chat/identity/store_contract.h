// chat/identity/store_contract.h: one test suite for every IdentityStore.
//
// Defines:
//   StoreFactory               - opens the store under test on fresh data, and again.
//   IdentityStoreContractTest  - the value-parameterised suite (store_contract.cc).
//
// What store.h promises is tested once, here; each store's own test instantiates the
// suite with its factory and adds what is particular to it (files, migrations, Redis):
//
//   INSTANTIATE_TEST_SUITE_P(Sqlite, IdentityStoreContractTest,
//                            ::testing::Values(&MakeSqliteFactory));

#ifndef CHAT_IDENTITY_STORE_CONTRACT_H_
#define CHAT_IDENTITY_STORE_CONTRACT_H_

#include <memory>

#include "chat/identity/store.h"
#include "gtest/gtest.h"

namespace chat::identity {

class StoreFactory {
 public:
  virtual ~StoreFactory() = default;
  // A store on fresh, empty data (null after a failed ASSERT/EXPECT inside).
  virtual std::unique_ptr<IdentityStore> OpenFresh() = 0;
  // A second handle on the data of the last OpenFresh(): another connection, as another
  // server (or instance) would have.
  virtual std::unique_ptr<IdentityStore> OpenAgain() = 0;
};

using StoreFactoryMaker = std::unique_ptr<StoreFactory> (*)();

class IdentityStoreContractTest : public ::testing::TestWithParam<StoreFactoryMaker> {
 protected:
  void SetUp() override {
    factory_ = GetParam()();
    ASSERT_NE(factory_, nullptr);
    store_ = factory_->OpenFresh();
    ASSERT_NE(store_, nullptr);
  }

  std::unique_ptr<StoreFactory> factory_;
  std::unique_ptr<IdentityStore> store_;
};

}  // namespace chat::identity

#endif  // CHAT_IDENTITY_STORE_CONTRACT_H_
