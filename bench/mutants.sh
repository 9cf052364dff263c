#!/usr/bin/env bash
# Mutation score of the conformance suite: cargo-mutants mutates the engine and the routing
# algorithm of the reference server, one mutant at a time, and each mutant is judged by the
# conformance suite alone (reference-server/tests/conformance_judge.rs runs a prebuilt
# `omnisim conform` against the mutated server), never by the engine's unit tests.
#
#   bench/mutants.sh [SHARD] [cargo-mutants options]
#       SHARD defaults to 3/6: a round-robin sixth, about 80 mutants; 0/1 with --re REGEX
#       re-judges chosen mutants.
#
# Needs cargo-mutants (`cargo install cargo-mutants --locked`). Results in mutants.out/:
# caught.txt, missed.txt, timeout.txt, unviable.txt. Score = caught / (caught + missed).
set -euo pipefail
cd "$(dirname "$0")/.."
shard="${1:-3/6}"
shift || true
cargo build --bin omnisim
export OMNISIM_CONFORM_BIN="$PWD/target/debug/omnisim"
cargo mutants \
    --package omnisim-reference-server \
    --file 'reference-server/src/engine/*.rs' --file 'reference-server/src/routing/*.rs' \
    --test-package omnisim-reference-server \
    --sharding round-robin --shard "$shard" \
    --jobs 1 --timeout 120 \
    "$@" \
    -- --test conformance_judge -- --include-ignored
