#!/usr/bin/env bash
# Pseudo-label with torchrun, N ranks each labelling its shard (rank::N) of the split:
#
#   tools/dist_pseudo_label.sh CONFIG N [tools/pseudo_label.py options, e.g. --out DIR]
#
# Same environment as tools/dist_train.sh (PORT, NNODES, NODE_RANK, MASTER_ADDR, PYTHON).
# An interrupted run resumes when started again with the same --out (finished images are
# skipped), with any N. See docs/distributed.md.
SCRIPT=pseudo_label.py exec "$(dirname "${BASH_SOURCE[0]}")/dist_train.sh" "$@"
