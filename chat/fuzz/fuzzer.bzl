"""chat_fuzzer(): one libFuzzer target and the regression test that replays its corpus."""

def chat_fuzzer(name, srcs, deps, corpus):
    """Defines NAME_lib, NAME (libFuzzer under --config=fuzz) and NAME_corpus_test.

    Args:
      name: the fuzzer, e.g. "input_fuzzer".
      srcs: the source defining LLVMFuzzerTestOneInput.
      deps: what it fuzzes.
      corpus: the seed corpus directory, e.g. "testdata/fuzz/input".

    All three are tagged no_tsan: each fuzzes a single-threaded parser, where
    ThreadSanitizer can find nothing, while ASan/UBSan (and libFuzzer) run them all.
    """
    tags = ["no_tsan"]
    native.cc_library(
        name = name + "_lib",
        srcs = srcs,
        deps = deps,
        alwayslink = True,
        tags = tags,
    )

    # Under --config=fuzz libFuzzer supplies main(); otherwise the corpus replayer does.
    native.cc_binary(
        name = name,
        srcs = select({
            ":fuzzing": [],
            "//conditions:default": ["fuzz_corpus_main.cc"],
        }),
        linkopts = select({
            ":fuzzing": ["-fsanitize=fuzzer"],
            "//conditions:default": [],
        }),
        deps = [":" + name + "_lib"],
        tags = tags,
    )

    native.cc_test(
        name = name + "_corpus_test",
        size = "small",
        srcs = ["fuzz_corpus_main.cc"],
        args = [corpus],
        data = ["//testdata:fuzz_corpus"],
        deps = [":" + name + "_lib"],
        tags = tags,
    )
