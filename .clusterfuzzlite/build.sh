#!/bin/bash -eu
# OSS-Fuzz / ClusterFuzzLite build of every fuzz target (fuzz/target_*.c).
# $CC and $CFLAGS carry the engine's instrumentation and sanitizer flags,
# $LIB_FUZZING_ENGINE links the engine; each target ships with its seed
# corpus (corpus/<target>) and dictionary when there is one.
cd "$SRC/vconform"
cmake -S . -B build/oss -DVC_FUZZ=ON -DVC_PROBE=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_COMPILER="$CC" -DCMAKE_C_FLAGS="$CFLAGS" -DVC_FUZZ_ENGINE="$LIB_FUZZING_ENGINE"
cmake --build build/oss -j "$(nproc)"
for bin in build/oss/fuzz/fuzz-*; do
  t=${bin##*/fuzz-}
  cp "$bin" "$OUT/vconform_$t"
  if [ -d "corpus/$t" ]; then
    (cd "corpus/$t" && zip -q -r "$OUT/vconform_${t}_seed_corpus.zip" .)
  fi
  if [ -f "fuzz/dict/$t.dict" ]; then
    cp "fuzz/dict/$t.dict" "$OUT/vconform_$t.dict"
  fi
done
