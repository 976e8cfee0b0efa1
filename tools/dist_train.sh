#!/usr/bin/env bash
# Train with torchrun, one process per GPU (or per CPU rank: without CUDA the ranks use gloo):
#
#   tools/dist_train.sh CONFIG NGPUS [tools/train.py options, e.g. --work-dir D --resume]
#
# Several machines: run it on each with NNODES, NODE_RANK and MASTER_ADDR (the address of node 0)
# set; all nodes use the same PORT. Environment (defaults): PORT (29500), NNODES (1),
# NODE_RANK (0), MASTER_ADDR (127.0.0.1), PYTHON (python). tools/dist_pseudo_label.sh is this
# script with SCRIPT=pseudo_label.py. See docs/distributed.md (also for SLURM).
set -euo pipefail
if [ $# -lt 2 ]; then
    echo "usage: $0 CONFIG NGPUS [options of tools/${SCRIPT:-train.py}]" >&2
    exit 2
fi
CONFIG=$1
NGPUS=$2
shift 2
TOOLS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
exec "${PYTHON:-python}" -m torch.distributed.run \
    --nnodes="${NNODES:-1}" --node_rank="${NODE_RANK:-0}" \
    --master_addr="${MASTER_ADDR:-127.0.0.1}" --master_port="${PORT:-29500}" \
    --nproc_per_node="$NGPUS" \
    "$TOOLS/${SCRIPT:-train.py}" "$CONFIG" --launcher pytorch "$@"
