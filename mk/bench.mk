# bench.mk — `make bench`: every benchmark of ./bench in one process, printed as
# the table of BENCHMARKS.md (ratios taken in the same run). Included by the
# top-level Makefile, which defines GO and the build target.
#
#   make bench                         # 1,000,000 requests in the memory run
#   make bench BENCH_REQUESTS=100000   # quicker memory run
#   make bench BENCHTIME=3s            # longer timings per benchmark
#
# Single benchmarks: go test -run '^$$' -bench 'Filter/wasm/hit' ./bench/

BENCH_REQUESTS ?= 1000000
BENCHTIME      ?= 1s

.PHONY: bench

## bench: every benchmark of ./bench, printed as the table of BENCHMARKS.md (build/bench.md).
bench: build
	$(GO) test -count=1 -run '^TestReport$$' -v -timeout 60m ./bench/ \
		-args -report -requests=$(BENCH_REQUESTS) -test.benchtime=$(BENCHTIME) \
		-report.out=$(CURDIR)/build/bench.md
	@echo "table written to build/bench.md"
