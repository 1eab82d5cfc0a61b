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
//   frames then name only modules, so Abseil's synchronization library (a shared object
//   in `bazel test`'s dynamic linking) is named too. That also hides a race whose stack
//   passes through that library: in our code, only an absl::Condition evaluated inside
//   Mutex, which reads its state with the Mutex held. Seen once in three CI runs.
//   glog 0.6 (built from source, so now instrumented): VLOG(n)'s per-call-site cache is a
//   plain static that InitVLOG3__ fills under glog's mutex while other threads' VLOG at
//   the same site read it without one. The value written is the same pointer whoever
//   wins. The prebuilt Debian glog hid this from TSan (not instrumented).
//   glibc's tzset_internal (reached from mktime() in glog's LogMessageTime, once per log
//   line) frees and re-allocates its copy of the zone name under glibc's internal
//   __tzset_lock, a lock TSan cannot see (libc is not instrumented), so two threads
//   logging at once look like a race on that string. Seen with a SIGHUP reload's log line
//   beside a connection's.

extern "C" const char* __tsan_default_suppressions() {
  return "race:absl::lts_20220623::synchronization_internal::Waiter::Post\n"
         "race:absl::lts_20220623::synchronization_internal::Waiter::Wait\n"
         "race:absl::lts_20220623::synchronization_internal::Waiter::Poke\n"
         "race:libexternal_Scom_Ugoogle_Uabsl_Sabsl_Ssynchronization_Slibsynchronization.so\n"
         "race:google::InitVLOG3__\n"
         "race:tzset_internal\n";
}
