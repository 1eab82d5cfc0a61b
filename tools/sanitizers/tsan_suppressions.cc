// ThreadSanitizer suppressions, compiled into every test and the server so they apply
// however the binary is started (bazel test, bazel run, by hand). Inert without TSan.
//
// Third-party internals only, never our own code:
//   Abseil 20220623's Mutex publishes a new thread's ThreadIdentity (allocated with mmap
//   by LowLevelAlloc) inside the window where it tells TSan to ignore its own
//   synchronisation, so the later futex-word update in Waiter::Post/Wait looks unordered
//   with the mmap. Upstream: abseil/abseil-cpp#1239 and #217, google/sanitizers#953.
//   The same report also comes unsymbolised when TSan cannot open its symbolizer, as in
//   server_fd_exhaustion_test, which runs the process out of descriptors on purpose: its
//   frames then name only modules, so only Abseil's synchronization library (a shared
//   object in `bazel test`'s dynamic linking) can be named. That would also hide a race
//   whose stack passes through that library (in our code, an absl::Condition evaluated
//   inside Mutex), so it is not listed here for every binary: that one test adds it
//   through TcpchatExtraTsanSuppressions(). Seen once in three CI runs.
//   glog 0.6 (built from source, so now instrumented): VLOG(n)'s per-call-site cache is a
//   plain static that InitVLOG3__ fills under glog's mutex while other threads' VLOG at
//   the same site read it without one. The value written is the same pointer whoever
//   wins. The prebuilt Debian glog hid this from TSan (not instrumented).
//   glibc's tzset_internal (reached from mktime() in glog's LogMessageTime, once per log
//   line) frees and re-allocates its copy of the zone name under glibc's internal
//   __tzset_lock, a lock TSan cannot see (libc is not instrumented), so two threads
//   logging at once look like a race on that string. Seen with a SIGHUP reload's log line
//   beside a connection's.

#include <cstddef>

// A test binary that needs a suppression no other binary should have defines this (see
// server_fd_exhaustion_test); weak, so everywhere else it is null.
extern "C" const char* TcpchatExtraTsanSuppressions() __attribute__((weak));

// Not instrumented (not even function entry, which clang's no_sanitize would keep): TSan
// calls it while it starts, before it can track anything.
#if defined(__clang__)
#define TCPCHAT_UNINSTRUMENTED __attribute__((disable_sanitizer_instrumentation))
#else
#define TCPCHAT_UNINSTRUMENTED __attribute__((no_sanitize("thread")))
#endif

extern "C" TCPCHAT_UNINSTRUMENTED const char* __tsan_default_suppressions() {
  static constexpr char kEverywhere[] =
      "race:absl::lts_20220623::synchronization_internal::Waiter::Post\n"
      "race:absl::lts_20220623::synchronization_internal::Waiter::Wait\n"
      "race:absl::lts_20220623::synchronization_internal::Waiter::Poke\n"
      "race:google::InitVLOG3__\n"
      "race:tzset_internal\n";
  if (TcpchatExtraTsanSuppressions == nullptr) return kEverywhere;
  // Called while TSan starts, before any thread and before its interceptors work (a
  // strcat here crashes the process): copied by hand, no allocation, no lock.
  static char all[2048];
  size_t at = 0;
  const char* const parts[] = {kEverywhere, TcpchatExtraTsanSuppressions()};
  for (const char* part : parts) {
    for (; *part != '\0' && at + 1 < sizeof(all); ++part) all[at++] = *part;
  }
  all[at] = '\0';
  return all;
}
