# Sourced by the benchmarks that run builds under valgrind, from the repository's root, with the
# builds their command line named (made absolute) in `builds`: none names this tree's release
# build, made here. Stops the benchmark when valgrind is not installed.
if [ ${#builds[@]} -eq 0 ]; then
  cargo build --release --quiet
  builds=("$PWD/target/release/omnisim")
fi
if ! command -v valgrind > /dev/null; then
  echo "valgrind is not installed (apt-get install valgrind)" >&2
  exit 2
fi
