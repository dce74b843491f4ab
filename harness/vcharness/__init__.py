"""vconform runner: boots QEMU over the conformance matrix and reports verdicts."""
