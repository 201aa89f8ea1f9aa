#!/usr/bin/env bash
# ganexp's numbers on one GPU, in one go: about 8 minutes on one H100 or H200, no network needed.
#
#   bash benchmarks/gpu.sh [RESULTS]      RESULTS: default $OUT/gpu-results.txt, else ./gpu-results.txt
#
# From the repository root. It installs ganexp from this checkout into the Python that runs it
# (without dependencies: torch, Lightning, Hydra and the rest must already be there; where even
# that install fails it runs from the checkout), then, each part under its own time limit:
#   1. the machine: GPU, driver, torch and CUDA versions;
#   2. pytest -m gpu;
#   3. the hand-loop comparison (benchmarks/throughput.py) of the DCGAN and toy MLP steps on the GPU;
#   4. the main job's generator steps per second (python -m ganexp for 90 s of wall-clock time);
#   5. benchmarks/replicas.py at 1, 8 and 32 replicas of experiment=toy_ring8.
# Everything printed goes into RESULTS, section by section; a part that fails or runs out of time
# says so there and the next part runs.
set -u
cd "$(dirname "$0")/.."
RESULTS=${1:-${OUT:-.}/gpu-results.txt}
mkdir -p "$(dirname "$RESULTS")"
: >"$RESULTS"
export WANDB_MODE=disabled PYTHONUNBUFFERED=1
GPU=trainer.accelerator=gpu

section() { printf '\n== %s\n' "$*" | tee -a "$RESULTS"; }
part() {  # part SECONDS COMMAND...: run it under a time limit, everything into RESULTS
  local limit=$1
  shift
  echo "\$ $*" >>"$RESULTS"
  timeout -k 10 "$limit" "$@" >>"$RESULTS" 2>&1
  local rc=$?
  [ $rc -eq 0 ] || echo "(exit $rc$([ $rc -eq 124 ] && echo ": past its ${limit} s"))" | tee -a "$RESULTS"
  tail -n 6 "$RESULTS"
}

section "machine"
part 20 nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv
part 60 python -c "import torch; print('torch', torch.__version__, 'cuda', torch.version.cuda, \
'device', torch.cuda.get_device_name(0) if torch.cuda.is_available() else None)"
if ! python -m pip install --quiet --no-deps --no-index --no-build-isolation -e . >>"$RESULTS" 2>&1; then
  echo "(not installed; running from the checkout)" | tee -a "$RESULTS"
  export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
fi

section "pytest -m gpu"
part 150 python -m pytest -q -m gpu tests/test_gpu.py

section "one step against the plain loop, on the GPU"
part 70 python benchmarks/throughput.py $GPU model=dcgan loss=wgan_gp dataset=digits \
  dataset.image_size=32 --warmup 10 --steps 25 --repeats 5
part 40 python benchmarks/throughput.py $GPU model=mlp loss=ns dataset=ring8 --repeats 7
part 40 python benchmarks/throughput.py $GPU model=mlp loss=wgan_gp dataset=ring8 --repeats 7

section "the main job: generator steps per second"
RUN=$(mktemp -d)
part 150 python -m ganexp $GPU trainer.max_time=00:00:01:30 logger=none \
  trainer.enable_progress_bar=false "hydra.run.dir=$RUN/main"
part 20 python -c "import json, sys; s = json.load(open(sys.argv[1])); \
print({k: s.get(k) for k in ('g_steps', 'wall_time_s', 'g_steps_per_s', 'time_to_first_step_s')})" \
  "$RUN/main/summary.json"

section "replicas of experiment=toy_ring8: K together against one run"
for k in 8 32; do
  part 60 python benchmarks/replicas.py $GPU experiment=toy_ring8 --replicas $k \
    --warmup 10 --steps 40 --repeats 2
done
echo "results: $RESULTS"
