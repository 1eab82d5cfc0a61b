// Static TLS of everything the server links: glibc zeroes every module's TLS block for
// every new thread, and the server runs two threads per client, so a large thread-local in
// any library is paid twice per client in resident memory whether that thread uses it or
// not. Debian's libglog.so.1 had a 30,457-byte block (its per-thread LogMessageData): about
// 60 KiB of the ~100 KiB an idle client cost. third_party/glog.BUILD builds glog without it;
// this test keeps it, or another library's, from coming back unnoticed.

#include <elf.h>
#include <link.h>

#include <string>
#include <thread>
#include <vector>

#include "chat/server.h"
#include "chat/transport/tls_context.h"
#include "chat/web/web_listener.h"
#include "glog/logging.h"
#include "gtest/gtest.h"

namespace chat {
namespace {

// One page per thread for all libraries together; today's total is a few hundred bytes.
constexpr size_t kStaticTlsBudget = 4096;

struct Module {
  std::string name;
  size_t tls_bytes;
};

std::vector<Module> ModulesWithTls() {
  std::vector<Module> modules;
  dl_iterate_phdr(
      [](dl_phdr_info* info, size_t, void* out) {
        for (int i = 0; i < info->dlpi_phnum; ++i) {
          if (info->dlpi_phdr[i].p_type == PT_TLS) {
            const char* name = info->dlpi_name[0] != '\0' ? info->dlpi_name : "(executable)";
            static_cast<std::vector<Module>*>(out)->push_back(
                {name, static_cast<size_t>(info->dlpi_phdr[i].p_memsz)});
          }
        }
        return 0;
      },
      &modules);
  return modules;
}

#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define CHAT_SANITIZED 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define CHAT_SANITIZED 1
#endif

TEST(StaticTlsTest, LinkedLibrariesStayWithinAPagePerThread) {
#ifdef CHAT_SANITIZED
  GTEST_SKIP() << "the sanitizer runtimes keep their own large per-thread state";
#endif
  // Everything chat/server links, not only the core: the TLS and web ports bring
  // OpenSSL, wslay and http-parser. Taking their addresses keeps the libraries loaded.
  volatile const void* const ports[] = {reinterpret_cast<const void*>(&TlsServerContext::Load),
                                        reinterpret_cast<const void*>(&WebListener)};
  ASSERT_NE(ports[0], nullptr);
  ASSERT_NE(ports[1], nullptr);
  size_t total = 0;
  std::string listing;
  for (const Module& m : ModulesWithTls()) {
    total += m.tls_bytes;
    listing += m.name + ": " + std::to_string(m.tls_bytes) + " bytes\n";
  }
  EXPECT_LE(total, kStaticTlsBudget) << listing;
}

// Without the thread-local buffer glog allocates each message's LogMessageData on the heap;
// a LOG from a thread that never logged before must still work, and so must one that is
// logged while another message is being built on the same thread.
TEST(StaticTlsTest, LoggingFromANewThreadWorks) {
  std::thread([] {
    LOG(INFO) << "static_tls_test: from a new thread "
              << [] {
                   LOG(INFO) << "static_tls_test: nested";
                   return 1;
                 }();
  }).join();
}

}  // namespace
}  // namespace chat
